#include "tools/bench/arbor_load.h"

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>

#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "arbor/v1/arbor.pb.h"
#include "wire/codec.h"

namespace arbor::bench {
namespace {

constexpr char kKey[] = "benchKey";

}  // namespace

absl::StatusOr<std::vector<double>> LockStep(client::Client& client,
                                             const std::vector<NodeId>& targets, int calls) {
  if (targets.empty()) return absl::InvalidArgumentError("no target nodes");
  std::vector<double> samples;
  samples.reserve(static_cast<size_t>(calls));
  for (int i = 0; i < calls; ++i) {
    NodeId target = targets[static_cast<size_t>(i / 2) % targets.size()];
    bool save = i % 2 == 0;
    int64_t value = i - (save ? 0 : 1);
    absl::Time start = MonoNow();
    absl::StatusOr<client::ExecResult> result =
        save ? client.Exec(target, kKey, value).get() : client.Exec(target, kKey).get();
    samples.push_back(absl::ToDoubleMicroseconds(MonoNow() - start));
    if (!result.ok()) {
      return absl::Status(result.status().code(),
                          absl::StrCat("exec on node ", target, ": ", result.status().message()));
    }
    if (!save && (!result->found || result->value != value)) {
      return absl::InternalError(absl::StrCat("node ", target, " loaded ", result->value,
                                              " after a save of ", value));
    }
  }
  return samples;
}

absl::StatusOr<double> Throughput(client::Client& client, const std::vector<NodeId>& targets,
                                  int calls, int in_flight) {
  if (targets.empty()) return absl::InvalidArgumentError("no target nodes");
  std::mutex mutex;
  std::condition_variable finished;
  int outstanding = 0;
  int issued = 0;
  absl::Status failure;

  // Takes the next call number, or nullopt once all are issued or one failed
  // (the run stops there: a dead controller fails the run, it does not wait
  // out every remaining call). Called with `mutex` held.
  auto next = [&]() -> std::optional<int> {
    if (issued >= calls || !failure.ok()) return std::nullopt;
    ++outstanding;
    return issued++;
  };
  // Issues call `n`; its answer issues the next one. After a failure nothing
  // more is issued, so a closed client (whose callbacks run at once, on the
  // caller's stack) ends the run instead of recursing once per call.
  std::function<void(int)> issue = [&](int n) {
    NodeId target = targets[static_cast<size_t>(n) % targets.size()];
    auto done = [&](absl::StatusOr<client::ExecResult> result) {
      std::optional<int> again;
      {
        std::lock_guard<std::mutex> lock(mutex);
        if (!result.ok() && failure.ok()) failure = result.status();
        again = next();
        // The last answer touches nothing here after this: the waiter may
        // return (and this frame's locals end) as soon as the lock is free.
        if (--outstanding == 0) finished.notify_all();
      }
      if (again) issue(*again);
    };
    if (n % 2 == 0) {
      client.Exec(target, kKey, n, std::move(done));
    } else {
      client.Exec(target, kKey, std::move(done));
    }
  };
  absl::Time start = MonoNow();
  for (int i = 0; i < in_flight; ++i) {
    std::optional<int> n;
    {
      std::lock_guard<std::mutex> lock(mutex);
      n = next();
    }
    if (!n) break;
    issue(*n);
  }
  std::unique_lock<std::mutex> lock(mutex);
  finished.wait(lock, [&] { return outstanding == 0 && (issued >= calls || !failure.ok()); });
  double seconds = absl::ToDoubleSeconds(MonoNow() - start);
  if (!failure.ok()) return failure;
  return calls / seconds;
}

LoadCount SteadyLoad(client::Client& client, const std::vector<NodeId>& targets, int in_flight,
                     absl::Duration duration, absl::Duration call_timeout) {
  LoadCount count;
  if (targets.empty()) return count;
  std::mutex mutex;
  std::condition_variable finished;
  int outstanding = 0;
  std::atomic<uint64_t> issued{0};
  absl::Time stop_at = MonoNow() + duration;
  client::CallOptions options{call_timeout};

  std::function<void()> issue = [&] {
    uint64_t n = issued.fetch_add(1);
    NodeId target = targets[n % targets.size()];
    auto done = [&](absl::StatusOr<client::ExecResult> result) {
      // A cancelled call (closed client) ends the run: no re-issue, no recursion.
      bool again = MonoNow() < stop_at && !absl::IsCancelled(result.status());
      {
        std::lock_guard<std::mutex> lock(mutex);
        if (result.ok()) {
          ++count.ok;
        } else {
          if (count.failed++ == 0) count.first_failure = result.status();
        }
        if (!again && --outstanding == 0) finished.notify_all();
      }
      if (again) issue();
    };
    if (n % 2 == 0) {
      client.Exec(target, kKey, static_cast<int64_t>(n), std::move(done), options);
    } else {
      client.Exec(target, kKey, std::move(done), options);
    }
  };
  {
    std::lock_guard<std::mutex> lock(mutex);
    outstanding = in_flight;
  }
  for (int i = 0; i < in_flight; ++i) issue();
  std::unique_lock<std::mutex> lock(mutex);
  finished.wait(lock, [&] { return outstanding == 0; });
  return count;
}

size_t SaveRequestBytes() {
  v1::Envelope request;
  request.set_version(wire::kProtocolVersion);
  request.set_correlation_id(123456);
  request.set_target(7);
  request.mutable_exec_request()->set_key(kKey);
  request.mutable_exec_request()->set_value(123456);
  return request.ByteSizeLong();
}

}  // namespace arbor::bench

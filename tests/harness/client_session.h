// What the client tests share: a controller serving clients on a private ipc
// path (`arbor --listen ... --no-stdin`), futures waited on with deadlines, and
// a log of watch events. Nothing here sleeps.
#ifndef ARBOR_TESTS_HARNESS_CLIENT_SESSION_H_
#define ARBOR_TESTS_HARNESS_CLIENT_SESSION_H_

#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "client/client.h"
#include "gtest/gtest.h"
#include "harness/arbor_process.h"
#include "harness/files.h"
#include "status_matchers.h"

namespace arbor::testing {

using client::Client;
using client::ClientOptions;
using client::CreateResult;
using client::EventKind;
using client::NodeEvent;

// The result of `future`, or a failure (and an INTERNAL status) when it is not
// ready within `wait`.
template <typename T>
inline T Get(std::future<T> future, absl::Duration wait = kWait) {
  if (future.wait_for(absl::ToChronoMilliseconds(wait)) != std::future_status::ready) {
    ADD_FAILURE() << "no result within " << wait;
    return T(absl::InternalError("test: no result in time"));
  }
  return future.get();
}

template <typename T>
inline bool Ready(const std::future<T>& future) {
  return future.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
}

// Node events as a watch delivers them (on the client's I/O thread).
class EventLog {
 public:
  Client::EventCallback Callback() {
    return [this](const NodeEvent& e) {
      std::lock_guard<std::mutex> lock(mutex_);
      events_.push_back(e);
      changed_.notify_all();
    };
  }
  // Waits until an event (id, kind) has been seen; its pid, or -1 on timeout.
  int64_t WaitFor(NodeId id, EventKind kind, absl::Time deadline = Within()) {
    std::unique_lock<std::mutex> lock(mutex_);
    int64_t pid = -1;
    changed_.wait_until(lock, absl::ToChronoTime(deadline), [&] {
      for (const NodeEvent& e : events_) {
        if (e.id == id && e.kind == kind) {
          pid = e.pid;
          return true;
        }
      }
      return false;
    });
    return pid;
  }
  // The first event (id, kind) seen, waiting for it until `deadline`.
  std::optional<NodeEvent> WaitForEvent(NodeId id, EventKind kind, absl::Time deadline = Within()) {
    std::unique_lock<std::mutex> lock(mutex_);
    std::optional<NodeEvent> found;
    changed_.wait_until(lock, absl::ToChronoTime(deadline), [&] {
      for (const NodeEvent& e : events_) {
        if (e.id == id && e.kind == kind) {
          found = e;
          return true;
        }
      }
      return false;
    });
    return found;
  }
  // Waits until an event (id, kind, pid) has been seen; false on timeout.
  bool WaitForPid(NodeId id, EventKind kind, int64_t pid, absl::Time deadline = Within()) {
    std::unique_lock<std::mutex> lock(mutex_);
    return changed_.wait_until(lock, absl::ToChronoTime(deadline),
                               [&] { return CountLocked(id, kind, pid) > 0; });
  }
  // How many events (id, kind, pid) were seen.
  int Count(NodeId id, EventKind kind, int64_t pid) {
    std::lock_guard<std::mutex> lock(mutex_);
    return CountLocked(id, kind, pid);
  }
  size_t size() {
    std::lock_guard<std::mutex> lock(mutex_);
    return events_.size();
  }

 private:
  int CountLocked(NodeId id, EventKind kind, int64_t pid) const {
    int n = 0;
    for (const NodeEvent& e : events_) n += e.id == id && e.kind == kind && e.pid == pid;
    return n;
  }
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<NodeEvent> events_;
};

// One controller serving clients on ipc in a private directory.
class ClientController {
 public:
  explicit ClientController(std::vector<std::string> flags = {})
      : endpoint_("ipc://" + dir_.path() + "/c"), arbor_(Flags(endpoint_, std::move(flags))) {}

  ArborProcess& arbor() { return arbor_; }
  const std::string& endpoint() const { return endpoint_; }

  std::unique_ptr<Client> Connect(ClientOptions options = {}) {
    auto client = Client::Connect(endpoint_, std::move(options));
    EXPECT_THAT(client, IsOk());
    return client.ok() ? std::move(*client) : nullptr;
  }

  // Creates `id` under `parent` and tracks its worker; its pid (0 on failure).
  pid_t Create(Client& client, NodeId id, NodeId parent = kControllerId) {
    absl::StatusOr<CreateResult> created = Get(client.Create(id, parent));
    EXPECT_THAT(created, IsOk()) << "create " << id << " " << parent;
    if (!created.ok()) return 0;
    EXPECT_EQ(created->id, id);
    EXPECT_GT(created->pid, 1);
    pid_t pid = static_cast<pid_t>(created->pid);
    arbor_.SignalWorker(pid, 0);  // signal 0: tracked (checked to be its child), not touched
    return pid;
  }

  // SIGTERM: a headless controller exits 0 and takes its workers along.
  void Stop() {
    arbor_.Kill(SIGTERM);
    EXPECT_EQ(arbor_.WaitExit(), 0);
    EXPECT_TRUE(arbor_.NoWorkerLeft());
  }

 private:
  static std::vector<std::string> Flags(const std::string& endpoint,
                                        std::vector<std::string> flags) {
    flags.insert(flags.begin(), {"--listen=" + endpoint, "--no-stdin"});
    return flags;
  }

  TempDir dir_;  // first: outlives the controller
  std::string endpoint_;
  ArborProcess arbor_;
};

// Waits for `path` to exist with content (inotify on its directory).
inline std::string WaitForFileLine(const std::string& dir, const std::string& path,
                                   absl::Time deadline) {
  int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0) return "";
  inotify_add_watch(fd, dir.c_str(), IN_CLOSE_WRITE | IN_MOVED_TO);
  std::string line;
  while (true) {
    std::ifstream in(path);
    if (in && std::getline(in, line) && !line.empty()) break;
    absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) break;
    pollfd p{fd, POLLIN, 0};
    poll(&p, 1, static_cast<int>(absl::ToInt64Milliseconds(left)) + 1);
    char buffer[4096];
    while (read(fd, buffer, sizeof buffer) > 0) {
    }
  }
  close(fd);
  return line;
}
}  // namespace arbor::testing

#endif  // ARBOR_TESTS_HARNESS_CLIENT_SESSION_H_

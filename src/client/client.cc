#include "client/client.h"

#include <algorithm>
#include <utility>

#include "absl/memory/memory.h"
#include "arbor/v1/arbor.pb.h"
#include "client/channel.h"
#include "client/results.h"
#include "common/clock.h"

namespace arbor::client {
namespace {

// The future form of a callback call: `start` gets the callback that fulfils it.
template <typename Result, typename Start>
std::future<Result> AsFuture(Start start) {
  std::promise<Result> promise;
  std::future<Result> future = promise.get_future();
  start([promise = std::move(promise)](Result result) mutable {
    promise.set_value(std::move(result));
  });
  return future;
}

// A callback for the reply envelope that converts it with `convert` for `done`.
template <typename Result>
wire::PendingCalls::Callback Converting(Result (*convert)(const Reply&),
                                        absl::AnyInvocable<void(Result)> done) {
  return [convert, done = std::move(done)](wire::Outcome reply) mutable { done(convert(reply)); };
}

v1::Envelope Request(NodeId target) {
  v1::Envelope request;
  request.set_target(target);
  return request;
}

absl::Status CheckOptions(const ClientOptions& o) {
  for (absl::Duration d : {o.default_timeout, o.controller_request_timeout,
                           o.controller_create_timeout, o.controller_call_timeout, o.reply_grace}) {
    if (d < absl::ZeroDuration()) return absl::InvalidArgumentError("negative duration in options");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Client>> Client::Connect(const std::string& endpoint,
                                                        ClientOptions options) {
  absl::Status valid = CheckOptions(options);
  if (!valid.ok()) return valid;
  auto channel =
      Channel::Open(endpoint, options.socket, std::max(1, options.max_in_flight), options.curve);
  if (!channel.ok()) return channel.status();
  return absl::WrapUnique(new Client(std::move(*channel), std::move(options)));
}

Client::Client(std::unique_ptr<Channel> channel, ClientOptions options)
    : options_(std::move(options)), channel_(std::move(channel)) {}

Client::~Client() { Close(); }

void Client::Close() { channel_->Close(); }

ClientCounters Client::counters() const { return channel_->counters(); }

void Client::Start(v1::Envelope&& request, Kind kind, const CallOptions& options,
                   wire::PendingCalls::Callback on_reply, EventCallback on_event) {
  absl::Time now = MonoNow();
  absl::Duration timeout =
      options.timeout > absl::ZeroDuration() ? options.timeout : options_.default_timeout;
  Channel::Call call;
  if (timeout > absl::ZeroDuration()) {
    // At least 1 ms: budget_ms 0 would ask for the controller's defaults.
    int64_t ms = std::clamp<int64_t>(absl::ToInt64Milliseconds(timeout), 1, UINT32_MAX);
    request.set_budget_ms(static_cast<uint32_t>(ms));
  } else {
    switch (kind) {
      case Kind::kNodeRequest:
        timeout = options_.controller_request_timeout;
        break;
      case Kind::kCreate:
        timeout = options_.controller_create_timeout;
        break;
      case Kind::kControllerRequest:
        timeout = options_.controller_call_timeout;
        break;
    }
  }
  call.request = std::move(request);
  call.deadline = now + timeout + options_.reply_grace;
  call.on_reply = std::move(on_reply);
  call.on_event = std::move(on_event);
  channel_->Submit(std::move(call));
}

// ---- callback forms ----

void Client::Create(NodeId id, NodeId parent, Callback<CreateResult> done, CallOptions options) {
  Create(id, parent, std::string(), std::move(done), options);
}

void Client::Create(NodeId id, NodeId parent, const std::string& host, Callback<CreateResult> done,
                    CallOptions options) {
  v1::Envelope request = Request(kControllerId);
  request.mutable_create_request()->set_child_id(id);
  request.mutable_create_request()->set_parent(parent);
  if (!host.empty()) request.mutable_create_request()->set_host(host);
  Start(std::move(request), Kind::kCreate, options, Converting(&CreateResultOf, std::move(done)));
}

void Client::Exec(NodeId id, const std::string& key, Callback<ExecResult> done,
                  CallOptions options) {
  v1::Envelope request = Request(id);
  request.mutable_exec_request()->set_key(key);
  Start(std::move(request), Kind::kNodeRequest, options,
        Converting(&ExecResultOf, std::move(done)));
}

void Client::Exec(NodeId id, const std::string& key, int64_t value, Callback<ExecResult> done,
                  CallOptions options) {
  v1::Envelope request = Request(id);
  request.mutable_exec_request()->set_key(key);
  request.mutable_exec_request()->set_value(value);
  Start(std::move(request), Kind::kNodeRequest, options,
        Converting(&ExecResultOf, std::move(done)));
}

void Client::Ping(NodeId id, Callback<bool> done, CallOptions options) {
  v1::Envelope request = Request(id);
  request.mutable_ping_request();
  Start(std::move(request), Kind::kNodeRequest, options,
        Converting(&PingAnsweredOf, std::move(done)));
}

void Client::Remove(NodeId id, StatusCallback done, CallOptions options) {
  v1::Envelope request = Request(id);
  request.mutable_remove_request();
  Start(std::move(request), Kind::kNodeRequest, options,
        Converting(&RemoveStatusOf, std::move(done)));
}

void Client::SetHeartbeat(uint32_t interval_ms, Callback<uint32_t> done, CallOptions options) {
  v1::Envelope request = Request(kControllerId);
  request.mutable_heartbeat_config()->set_interval_ms(interval_ms);
  Start(std::move(request), Kind::kControllerRequest, options,
        Converting(&HeartbeatIntervalOf, std::move(done)));
}

void Client::Topology(Callback<std::vector<NodeInfo>> done, CallOptions options) {
  v1::Envelope request = Request(kControllerId);
  request.mutable_topology_request();
  Start(std::move(request), Kind::kControllerRequest, options,
        Converting(&TopologyOf, std::move(done)));
}

void Client::Stats(Callback<ControllerStats> done, CallOptions options) {
  v1::Envelope request = Request(kControllerId);
  request.mutable_stats_request();
  Start(std::move(request), Kind::kControllerRequest, options,
        Converting(&StatsOf, std::move(done)));
}

void Client::Watch(EventCallback on_event, Callback<WatchId> done, CallOptions options) {
  v1::Envelope request = Request(kControllerId);
  request.mutable_watch_request();
  Start(std::move(request), Kind::kControllerRequest, options,
        Converting(&WatchIdOf, std::move(done)), std::move(on_event));
}

void Client::Unwatch(WatchId id, StatusCallback done, CallOptions options) {
  v1::Envelope request = Request(kControllerId);
  request.mutable_unwatch_request()->set_watch_id(id);
  Start(std::move(request), Kind::kControllerRequest, options,
        Converting(&UnwatchStatusOf, std::move(done)));
}

// ---- future forms ----

std::future<absl::StatusOr<CreateResult>> Client::Create(NodeId id, NodeId parent,
                                                         CallOptions options) {
  return AsFuture<absl::StatusOr<CreateResult>>(
      [&](Callback<CreateResult> done) { Create(id, parent, std::move(done), options); });
}

std::future<absl::StatusOr<CreateResult>> Client::Create(NodeId id, NodeId parent,
                                                         const std::string& host,
                                                         CallOptions options) {
  return AsFuture<absl::StatusOr<CreateResult>>(
      [&](Callback<CreateResult> done) { Create(id, parent, host, std::move(done), options); });
}

std::future<absl::StatusOr<ExecResult>> Client::Exec(NodeId id, const std::string& key,
                                                     CallOptions options) {
  return AsFuture<absl::StatusOr<ExecResult>>(
      [&](Callback<ExecResult> done) { Exec(id, key, std::move(done), options); });
}

std::future<absl::StatusOr<ExecResult>> Client::Exec(NodeId id, const std::string& key,
                                                     int64_t value, CallOptions options) {
  return AsFuture<absl::StatusOr<ExecResult>>(
      [&](Callback<ExecResult> done) { Exec(id, key, value, std::move(done), options); });
}

std::future<absl::StatusOr<bool>> Client::Ping(NodeId id, CallOptions options) {
  return AsFuture<absl::StatusOr<bool>>(
      [&](Callback<bool> done) { Ping(id, std::move(done), options); });
}

std::future<absl::Status> Client::Remove(NodeId id, CallOptions options) {
  return AsFuture<absl::Status>([&](StatusCallback done) { Remove(id, std::move(done), options); });
}

std::future<absl::StatusOr<uint32_t>> Client::SetHeartbeat(uint32_t interval_ms,
                                                           CallOptions options) {
  return AsFuture<absl::StatusOr<uint32_t>>(
      [&](Callback<uint32_t> done) { SetHeartbeat(interval_ms, std::move(done), options); });
}

std::future<absl::StatusOr<std::vector<NodeInfo>>> Client::Topology(CallOptions options) {
  return AsFuture<absl::StatusOr<std::vector<NodeInfo>>>(
      [&](Callback<std::vector<NodeInfo>> done) { Topology(std::move(done), options); });
}

std::future<absl::StatusOr<ControllerStats>> Client::Stats(CallOptions options) {
  return AsFuture<absl::StatusOr<ControllerStats>>(
      [&](Callback<ControllerStats> done) { Stats(std::move(done), options); });
}

std::future<absl::StatusOr<WatchId>> Client::Watch(EventCallback on_event, CallOptions options) {
  return AsFuture<absl::StatusOr<WatchId>>(
      [&](Callback<WatchId> done) { Watch(std::move(on_event), std::move(done), options); });
}

std::future<absl::Status> Client::Unwatch(WatchId id, CallOptions options) {
  return AsFuture<absl::Status>(
      [&](StatusCallback done) { Unwatch(id, std::move(done), options); });
}

}  // namespace arbor::client

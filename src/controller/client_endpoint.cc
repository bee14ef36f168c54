#include "controller/client_endpoint.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

#include "absl/memory/memory.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "wire/codec.h"
#include "wire/convert.h"

namespace arbor::controller {

bool IpcPathInUse(const std::string& path) {
  sockaddr_un address{};
  if (path.size() >= sizeof(address.sun_path)) return false;  // bind will say so
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, path.data(), path.size());
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  bool in_use = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  ::close(fd);
  return in_use;
}

bool IsLocalEndpoint(const std::string& endpoint) {
  if (absl::StartsWith(endpoint, "ipc://")) return true;
  if (!absl::StartsWith(endpoint, "tcp://")) return false;
  std::string rest = endpoint.substr(6);
  size_t colon = rest.rfind(':');
  std::string host = colon == std::string::npos ? rest : rest.substr(0, colon);
  return absl::StartsWith(host, "127.") || host == "localhost" || host == "[::1]";
}

absl::StatusOr<std::unique_ptr<ClientEndpoint>> ClientEndpoint::Start(
    const ClientEndpointOptions& options, transport::Context& context, transport::EventLoop& loop,
    api::Operations& operations, const Logger& log, std::function<void()> after_requests) {
  if (!IsLocalEndpoint(options.endpoint) && !options.insecure) {
    return absl::FailedPreconditionError(absl::StrCat(
        "refusing --listen ", options.endpoint,
        ": not loopback, and clients are not authenticated (add --insecure-listen to accept)"));
  }
  if (absl::StartsWith(options.endpoint, "ipc://") && IpcPathInUse(options.endpoint.substr(6))) {
    // libzmq would unlink the live socket of another controller and take its path.
    return absl::AlreadyExistsError(
        absl::StrCat("another process listens at ", options.endpoint));
  }
  ASSIGN_OR_RETURN(transport::Socket socket, transport::Socket::Router(context, options.sockets));
  // The socket file is created owner-only: whoever can connect can spawn processes.
  mode_t old_mask = ::umask(0077);
  absl::StatusOr<std::string> bound = socket.Bind(options.endpoint);
  ::umask(old_mask);
  if (!bound.ok()) return bound.status();
  auto endpoint = absl::WrapUnique(
      new ClientEndpoint(options, loop, operations, log, std::move(socket)));
  endpoint->endpoint_ = *bound;
  if (absl::StartsWith(*bound, "ipc://")) {
    endpoint->ipc_path_ = bound->substr(6);
    ::chmod(endpoint->ipc_path_.c_str(), 0600);
    struct stat st;
    if (::stat(endpoint->ipc_path_.c_str(), &st) == 0) endpoint->ipc_inode_ = st.st_ino;
  }
  operations.Watch([raw = endpoint.get(), alive = endpoint->alive_](const api::NodeEvent& event) {
    if (*alive) raw->Publish(event);
  });
  loop.AddSocket(endpoint->socket_,
                 [raw = endpoint.get(), after = std::move(after_requests)] {
                   raw->OnReadable();
                   after();
                 });
  return endpoint;
}

ClientEndpoint::ClientEndpoint(const ClientEndpointOptions& options, transport::EventLoop& loop,
                               api::Operations& operations, const Logger& log,
                               transport::Socket socket)
    : options_(options),
      loop_(loop),
      operations_(operations),
      log_(log),
      socket_(std::move(socket)) {}

ClientEndpoint::~ClientEndpoint() {
  *alive_ = false;
  loop_.RemoveSocket(socket_);
  socket_.SetLinger(0);
  // Only our own socket file: never one another controller bound since.
  struct stat st;
  if (!ipc_path_.empty() && ::stat(ipc_path_.c_str(), &st) == 0 && st.st_ino == ipc_inode_) {
    ::unlink(ipc_path_.c_str());
  }
}

void ClientEndpoint::OnReadable() {
  for (int i = 0; i < 512; ++i) {
    auto got = socket_.Receive(frames_);
    if (!got.ok() || !*got) return;
    if (frames_.size() != 2) {
      operations_.CountDroppedFrame();
      if (frames_.size() > 2) {
        Reject(frames_[0], v1::Envelope(), absl::InvalidArgumentError("one envelope frame per message"));
      }
      continue;
    }
    const std::string& client = frames_[0];
    v1::Envelope& request = scratch_.Fresh();
    absl::Status decoded = wire::DecodeInto(frames_[1], request);
    if (!decoded.ok()) {
      operations_.CountDroppedFrame();
      Reject(client, request, decoded);
      continue;
    }
    if (request.correlation_id() == 0) {
      operations_.CountDroppedFrame();
      Reject(client, request, absl::InvalidArgumentError("correlation_id 0: requests need an id"));
      continue;
    }
    int& in_flight = in_flight_[client];
    if (in_flight >= options_.max_in_flight_per_client) {
      Reject(client, request,
             absl::ResourceExhaustedError(absl::StrCat(
                 "over ", options_.max_in_flight_per_client, " calls in flight")));
      continue;
    }
    ++in_flight;
    OnRequest(client, request);
  }
}

void ClientEndpoint::OnRequest(const std::string& client, v1::Envelope& request) {
  NodeId target = request.target();
  if (!operations_.Accepting()) {
    Reply(client, request.correlation_id(), target,
          absl::UnavailableError("the controller is shutting down"));
    return;
  }
  // The budget counts from arrival, also while the request waits for its node
  // to settle: `timeout()` is what is left when the operation runs.
  absl::Time deadline = request.budget_ms() == 0
                            ? absl::InfiniteFuture()
                            : loop_.now() + absl::Milliseconds(request.budget_ms());
  if (request.has_exec_request()) {  // the hot path builds none of what follows
    StartExec(client, request, deadline);
    return;
  }
  auto timeout = [this, deadline] {
    if (deadline == absl::InfiniteFuture()) return absl::ZeroDuration();  // the defaults
    return deadline - loop_.now();
  };
  // Results may come long after this frame: keep what the reply needs, once,
  // shared by this request's closures.
  struct Caller {
    std::string client;
    uint64_t correlation_id;
    NodeId target;
    absl::Time deadline;
  };
  auto caller = std::make_shared<const Caller>(
      Caller{client, request.correlation_id(), target, deadline});
  auto reply = [this, alive = alive_, caller](absl::Status status, v1::Envelope body = {}) {
    if (*alive) Reply(caller->client, caller->correlation_id, caller->target, status, body);
  };
  // A request whose budget ran out while it waited answers that, and nothing runs.
  auto expired = [this, alive = alive_, caller, reply]() mutable {
    if (!*alive) return true;
    if (caller->deadline == absl::InfiniteFuture() || loop_.now() < caller->deadline) return false;
    reply(absl::DeadlineExceededError("deadline exceeded while waiting for the node"));
    return true;
  };
  switch (request.body_case()) {
    case v1::Envelope::kCreateRequest: {
      NodeId id = request.create_request().child_id();
      NodeId parent = request.create_request().parent();
      auto order = api::Operations::Order::For({id}, false, deadline);
      if (parent != kControllerId) order.nodes.push_back(parent);
      operations_.Dispatch(std::move(order),
                           [this, id, parent, timeout, reply, expired]() mutable {
        if (expired()) return;
        operations_.Create(id, parent, timeout(), [reply](absl::StatusOr<api::CreateResult> created) {
          v1::Envelope body;
          if (created.ok()) {
            body.mutable_create_reply()->set_id(created->id);
            body.mutable_create_reply()->set_pid(created->pid);
          }
          reply(created.status(), std::move(body));
        });
      });
      return;
    }
    case v1::Envelope::kPingRequest:
      operations_.Dispatch(api::Operations::Order::For({target}, false, deadline),
                           [this, target, timeout, reply, expired]() mutable {
        if (expired()) return;
        operations_.Ping(target, timeout(), [reply](absl::StatusOr<bool> answered) {
          v1::Envelope body;
          if (answered.ok()) body.mutable_ping_reply()->set_answered(*answered);
          reply(answered.status(), std::move(body));
        });
      });
      return;
    case v1::Envelope::kRemoveRequest:
      operations_.Dispatch(api::Operations::Order::For({target}, true, deadline),
                           [this, target, timeout, reply, expired]() mutable {
        if (expired()) return;
        operations_.Remove(target, timeout(), [reply](absl::Status done) {
          v1::Envelope body;
          if (done.ok()) body.mutable_remove_reply();
          reply(done, std::move(body));
        });
      });
      return;
    case v1::Envelope::kHeartbeatConfig: {
      operations_.SetHeartbeat(request.heartbeat_config().interval_ms());
      v1::Envelope body;
      *body.mutable_heartbeat_config() = request.heartbeat_config();
      reply(absl::OkStatus(), std::move(body));
      return;
    }
    case v1::Envelope::kTopologyRequest: {
      v1::Envelope body;
      wire::ToWire(operations_.Topology(), *body.mutable_topology_reply());
      reply(absl::OkStatus(), std::move(body));
      return;
    }
    case v1::Envelope::kStatsRequest: {
      v1::Envelope body;
      wire::ToWire(operations_.Stats(), *body.mutable_stats_reply());
      reply(absl::OkStatus(), std::move(body));
      return;
    }
    case v1::Envelope::kWatchRequest: {
      absl::flat_hash_set<uint64_t>& watches = watchers_[client];
      if (static_cast<int>(watches.size()) >= options_.max_watches_per_client) {
        reply(absl::ResourceExhaustedError(
            absl::StrCat("over ", options_.max_watches_per_client, " watches")));
        return;
      }
      watches.insert(request.correlation_id());
      reply(absl::OkStatus());
      return;
    }
    case v1::Envelope::kUnwatchRequest: {
      auto it = watchers_.find(client);
      bool found = it != watchers_.end() && it->second.erase(request.unwatch_request().watch_id());
      if (it != watchers_.end() && it->second.empty()) watchers_.erase(it);
      reply(found ? absl::OkStatus() : absl::NotFoundError("no such watch"));
      return;
    }
    default:
      operations_.CountDroppedFrame();
      reply(absl::InvalidArgumentError("not a client request"));
      return;
  }
}

void ClientEndpoint::StartExec(const std::string& client, const v1::Envelope& request,
                               absl::Time deadline) {
  const v1::ExecRequest& exec = request.exec_request();
  auto call = std::make_unique<ExecCall>(ExecCall{
      alive_, client, request.correlation_id(), request.target(), deadline, exec.key(),
      exec.has_value() ? std::optional<int64_t>(exec.value()) : std::nullopt});
  NodeId target = call->target;
  operations_.Dispatch(api::Operations::Order::For({target}, false, deadline),
                       [this, call = std::move(call)]() mutable { RunExec(std::move(call)); });
}

void ClientEndpoint::RunExec(std::unique_ptr<ExecCall> call) {
  if (!*call->alive) return;
  absl::Duration timeout = absl::ZeroDuration();  // zero: the controller's defaults
  if (call->deadline != absl::InfiniteFuture()) {
    if (loop_.now() >= call->deadline) {
      // Its budget ran out while it waited for the node: that is the answer.
      Reply(call->client, call->correlation_id, call->target,
            absl::DeadlineExceededError("deadline exceeded while waiting for the node"));
      return;
    }
    timeout = call->deadline - loop_.now();
  }
  NodeId target = call->target;
  const std::string& key = call->key;
  std::optional<int64_t> value = call->value;
  operations_.Exec(target, key, value, timeout,
                   [this, call = std::move(call)](absl::StatusOr<api::ExecResult> result) {
                     if (!*call->alive) return;
                     v1::Envelope& body = answers_.Fresh();
                     if (result.ok()) {
                       body.mutable_exec_reply()->set_found(result->found);
                       body.mutable_exec_reply()->set_value(result->value);
                     }
                     Reply(call->client, call->correlation_id, call->target, result.status(),
                           body);
                   });
}

void ClientEndpoint::Reply(const std::string& client, uint64_t correlation_id, NodeId target,
                           const absl::Status& status) {
  v1::Envelope& empty = answers_.Fresh();
  Reply(client, correlation_id, target, status, empty);
}

void ClientEndpoint::Reply(const std::string& client, uint64_t correlation_id, NodeId target,
                           const absl::Status& status, v1::Envelope& body) {
  auto it = in_flight_.find(client);
  if (it != in_flight_.end() && --it->second <= 0) in_flight_.erase(it);
  Answer(client, correlation_id, target, status, body);
}

void ClientEndpoint::Reject(const std::string& client, const v1::Envelope& request,
                            const absl::Status& status) {
  Answer(client, request.correlation_id(), request.target(), status, answers_.Fresh());
}

void ClientEndpoint::Answer(const std::string& client, uint64_t correlation_id, NodeId target,
                            const absl::Status& status, v1::Envelope& body) {
  body.set_correlation_id(correlation_id);
  // Echo the target only when it is one the client can decode back.
  body.set_target(target == kControllerId || IsWorkerId(target) ? target : kControllerId);
  body.mutable_status()->set_code(static_cast<int32_t>(status.code()));
  if (!status.message().empty()) body.mutable_status()->set_message(std::string(status.message()));
  if (!status.ok()) body.clear_body();
  Send(client, body);
}

bool ClientEndpoint::Send(const std::string& client, const v1::Envelope& envelope) {
  wire::EncodeTo(envelope, send_buffer_);
  absl::Status sent = socket_.Send({std::string_view(client), std::string_view(send_buffer_)});
  if (sent.ok()) return true;
  // Gone (EHOSTUNREACH) or not reading (queue full): it loses this message. A
  // gone client's watches and counts are dropped at once.
  log_.Debug("message to a client not sent: %s", sent.ToString());
  if (absl::IsUnavailable(sent)) {
    watchers_.erase(client);
    in_flight_.erase(client);
  }
  return false;
}

void ClientEndpoint::Publish(const api::NodeEvent& node_event) {
  if (watchers_.empty()) return;
  v1::Envelope event;
  event.set_target(node_event.id);
  event.mutable_status();  // code 0: OK
  wire::ToWire(node_event, *event.mutable_node_event());
  std::vector<std::string> gone;
  for (const auto& [client, watches] : watchers_) {
    for (uint64_t watch : watches) {
      event.set_correlation_id(watch);
      wire::EncodeTo(event, send_buffer_);
      absl::Status sent =
          socket_.Send({std::string_view(client), std::string_view(send_buffer_)});
      if (absl::IsUnavailable(sent)) {
        gone.push_back(client);
        break;
      }
    }
  }
  for (const std::string& client : gone) {
    watchers_.erase(client);
    in_flight_.erase(client);
  }
}

}  // namespace arbor::controller

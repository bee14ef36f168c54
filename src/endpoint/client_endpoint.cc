#include "endpoint/client_endpoint.h"

#include "absl/memory/memory.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "endpoint/client_keys.h"
#include "transport/curve.h"
#include "transport/key_file.h"
#include "wire/codec.h"
#include "wire/convert.h"

namespace arbor::endpoint {

namespace {

// The server's key pair: from `file` (--server-key), or fresh for this run.
absl::StatusOr<transport::CurveKeyPair> ServerKeys(const std::string& file) {
  if (file.empty()) return transport::GenerateCurveKeyPair();
  ASSIGN_OR_RETURN(std::string secret, transport::ReadSecretKeyFile(file));
  ASSIGN_OR_RETURN(std::string public_key, transport::PublicFromSecret(secret));
  return transport::CurveKeyPair{std::move(public_key), std::move(secret)};
}

}  // namespace

absl::StatusOr<std::unique_ptr<ClientEndpoint>> ClientEndpoint::Start(
    const ClientEndpointOptions& options, transport::Context& context, transport::EventLoop& loop,
    api::Operations& operations, const Logger& log, std::function<void()> after_requests,
    transport::ZapHandler* zap) {
  bool curve = !options.client_keys_dir.empty();
  if (!transport::IsLocalEndpoint(options.endpoint) && !curve && !options.insecure) {
    return absl::FailedPreconditionError(absl::StrCat(
        "refusing --listen ", options.endpoint,
        ": not loopback, and clients are not authenticated (add --client-keys DIR to serve "
        "remote programs over CURVE, or --insecure-listen to accept anyone)"));
  }
  if (!curve && !options.server_key_file.empty()) {
    return absl::InvalidArgumentError("--server-key needs --client-keys");
  }
  if (curve && zap == nullptr) return absl::InternalError("CURVE listen without a ZAP handler");
  if (absl::StartsWith(options.endpoint, "ipc://") &&
      transport::IpcPathInUse(options.endpoint.substr(6))) {
    // libzmq would unlink the live socket of another controller and take its path.
    return absl::AlreadyExistsError(absl::StrCat("another process listens at ", options.endpoint));
  }
  ASSIGN_OR_RETURN(transport::Socket socket, transport::Socket::Router(context, options.sockets));
  std::string server_public_key;
  if (curve) {
    // Everything is read before anything binds: a bad file leaves nothing behind.
    ASSIGN_OR_RETURN(ClientKeys keys, LoadClientKeys(options.client_keys_dir));
    absl::StatusOr<transport::CurveKeyPair> server = ServerKeys(options.server_key_file);
    if (!server.ok()) {
      return absl::Status(server.status().code(),
                          absl::StrCat("--server-key: ", server.status().message()));
    }
    RETURN_IF_ERROR(socket.EnableCurveServer(server->secret_z85, transport::kClientZapDomain));
    log.Debug("client endpoint: CURVE, %d client keys", static_cast<int>(keys.size()));
    transport::ZapPolicy policy = ClientKeyPolicy(std::move(keys));
    zap->Serve(transport::kClientZapDomain,
               [&log, policy = std::move(policy)](const transport::ZapRequest& request) {
                 std::optional<std::string> user = policy(request);
                 if (user) {
                   log.Debug("client '%s' authenticated from %s", *user, request.address);
                 } else {
                   log.Debug("client key %s from %s refused", request.public_z85, request.address);
                 }
                 return user;
               });
    server_public_key = server->public_z85;
  }
  auto endpoint =
      absl::WrapUnique(new ClientEndpoint(options, loop, operations, log, std::move(socket)));
  endpoint->server_public_key_ = std::move(server_public_key);
  ASSIGN_OR_RETURN(endpoint->endpoint_, transport::ListenFile::Bind(
                                            endpoint->socket_, options.endpoint, endpoint->file_));
  operations.Watch([raw = endpoint.get(), alive = endpoint->alive_](const api::NodeEvent& event) {
    if (*alive) raw->Publish(event);
  });
  loop.AddSocket(endpoint->socket_, [raw = endpoint.get(), after = std::move(after_requests)] {
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
}

void ClientEndpoint::OnReadable() {
  for (int i = 0; i < 512; ++i) {
    auto got = socket_.Receive(frames_);
    if (!got.ok() || !*got) return;
    if (frames_.size() != 2) {
      operations_.CountDroppedFrame();
      if (frames_.size() > 2) {
        Reject(frames_[0], v1::Envelope(),
               absl::InvalidArgumentError("one envelope frame per message"));
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
             absl::ResourceExhaustedError(
                 absl::StrCat("over ", options_.max_in_flight_per_client, " calls in flight")));
      continue;
    }
    ++in_flight;
    OnRequest(client, request);
  }
}

void ClientEndpoint::StartExec(const std::string& client, const v1::Envelope& request,
                               absl::Time deadline) {
  const v1::ExecRequest& exec = request.exec_request();
  auto call = std::make_unique<ExecCall>(
      ExecCall{alive_, client, request.correlation_id(), request.target(), deadline, exec.key(),
               exec.has_value() ? std::optional<int64_t>(exec.value()) : std::nullopt});
  NodeId target = call->target;
  operations_.Dispatch(api::Operations::Order::For({target}, false, deadline),
                       [this, call = std::move(call)]() mutable { RunExec(std::move(call)); });
}

void ClientEndpoint::RunExec(std::unique_ptr<ExecCall> call) {
  if (!*call->alive) return;
  if (Past(call->deadline)) {
    // Its budget ran out while it waited for the node: that is the answer.
    Reply(call->client, call->correlation_id, call->target, WaitedTooLong());
    return;
  }
  absl::Duration timeout = Left(call->deadline);
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
                     Reply(call->client, call->correlation_id, call->target, result.status(), body);
                   });
}

bool ClientEndpoint::Past(absl::Time deadline) const {
  return deadline != absl::InfiniteFuture() && loop_.now() >= deadline;
}

absl::Duration ClientEndpoint::Left(absl::Time deadline) const {
  if (deadline == absl::InfiniteFuture()) return absl::ZeroDuration();  // the core's defaults
  return deadline - loop_.now();
}

absl::Status ClientEndpoint::WaitedTooLong() {
  return absl::DeadlineExceededError("deadline exceeded while waiting for the node");
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
      absl::Status sent = socket_.Send({std::string_view(client), std::string_view(send_buffer_)});
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

}  // namespace arbor::endpoint

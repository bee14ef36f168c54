// The client endpoint's requests: each decoded request becomes one operation of
// the core and exactly one reply (a watch: one reply, then its events).
#include "absl/strings/str_cat.h"
#include "endpoint/client_endpoint.h"
#include "wire/convert.h"

namespace arbor::endpoint {

using Order = api::Operations::Order;

ClientEndpoint::Responder::Responder(ClientEndpoint& endpoint, const std::string& client,
                                     const v1::Envelope& request, absl::Time deadline)
    : endpoint_(&endpoint),
      alive_(endpoint.alive_),
      caller_(std::make_shared<const Caller>(
          Caller{client, request.correlation_id(), request.target(), deadline})) {}

void ClientEndpoint::Responder::operator()(const absl::Status& status, v1::Envelope body) const {
  if (!*alive_) return;
  endpoint_->Reply(caller_->client, caller_->correlation_id, caller_->target, status, body);
}

bool ClientEndpoint::Responder::Expired() const {
  if (!*alive_) return true;
  if (!endpoint_->Past(caller_->deadline)) return false;
  (*this)(WaitedTooLong());
  return true;
}

absl::Duration ClientEndpoint::Responder::Timeout() const {
  return endpoint_->Left(caller_->deadline);
}

void ClientEndpoint::OnRequest(const std::string& client, v1::Envelope& request) {
  NodeId target = request.target();
  if (!operations_.Accepting()) {
    Reply(client, request.correlation_id(), target,
          absl::UnavailableError("the controller is shutting down"));
    return;
  }
  // The budget counts from arrival, also while the request waits for its node
  // to settle: Timeout() is what is left when the operation runs.
  absl::Time deadline = request.budget_ms() == 0
                            ? absl::InfiniteFuture()
                            : loop_.now() + absl::Milliseconds(request.budget_ms());
  if (request.has_exec_request()) {  // the hot path builds none of what follows
    StartExec(client, request, deadline);
    return;
  }
  Responder reply(*this, client, request, deadline);
  switch (request.body_case()) {
    case v1::Envelope::kCreateRequest:
      return OnCreate(request.create_request(), deadline, std::move(reply));
    case v1::Envelope::kPingRequest:
      return OnPing(target, deadline, std::move(reply));
    case v1::Envelope::kRemoveRequest:
      return OnRemove(target, deadline, std::move(reply));
    case v1::Envelope::kHeartbeatConfig: {
      operations_.SetHeartbeat(request.heartbeat_config().interval_ms());
      v1::Envelope body;
      *body.mutable_heartbeat_config() = request.heartbeat_config();
      return reply(absl::OkStatus(), std::move(body));
    }
    case v1::Envelope::kTopologyRequest: {
      v1::Envelope body;
      wire::ToWire(operations_.Topology(), *body.mutable_topology_reply());
      return reply(absl::OkStatus(), std::move(body));
    }
    case v1::Envelope::kStatsRequest: {
      v1::Envelope body;
      wire::ToWire(operations_.Stats(), *body.mutable_stats_reply());
      return reply(absl::OkStatus(), std::move(body));
    }
    case v1::Envelope::kWatchRequest:
      return OnWatch(client, request.correlation_id(), reply);
    case v1::Envelope::kUnwatchRequest:
      return OnUnwatch(client, request.unwatch_request().watch_id(), reply);
    default:
      operations_.CountDroppedFrame();
      return reply(absl::InvalidArgumentError("not a client request"));
  }
}

void ClientEndpoint::OnCreate(const v1::CreateRequest& create, absl::Time deadline,
                              Responder reply) {
  NodeId id = create.child_id();
  NodeId parent = create.parent();
  std::string host = create.host();
  Order order = Order::For({id}, false, deadline);
  if (parent != kControllerId) order.nodes.push_back(parent);
  operations_.Dispatch(std::move(order),
                       [this, id, parent, host = std::move(host), reply = std::move(reply)] {
                         if (reply.Expired()) return;
                         operations_.Create(id, parent, host, reply.Timeout(),
                                            [reply](absl::StatusOr<api::CreateResult> created) {
                                              v1::Envelope body;
                                              if (created.ok()) {
                                                body.mutable_create_reply()->set_id(created->id);
                                                body.mutable_create_reply()->set_pid(created->pid);
                                              }
                                              reply(created.status(), std::move(body));
                                            });
                       });
}

void ClientEndpoint::OnPing(NodeId target, absl::Time deadline, Responder reply) {
  operations_.Dispatch(
      Order::For({target}, false, deadline), [this, target, reply = std::move(reply)] {
        if (reply.Expired()) return;
        operations_.Ping(target, reply.Timeout(), [reply](absl::StatusOr<bool> answered) {
          v1::Envelope body;
          if (answered.ok()) body.mutable_ping_reply()->set_answered(*answered);
          reply(answered.status(), std::move(body));
        });
      });
}

void ClientEndpoint::OnRemove(NodeId target, absl::Time deadline, Responder reply) {
  operations_.Dispatch(Order::For({target}, true, deadline),
                       [this, target, reply = std::move(reply)] {
                         if (reply.Expired()) return;
                         operations_.Remove(target, reply.Timeout(), [reply](absl::Status done) {
                           v1::Envelope body;
                           if (done.ok()) body.mutable_remove_reply();
                           reply(done, std::move(body));
                         });
                       });
}

void ClientEndpoint::OnWatch(const std::string& client, uint64_t watch_id, const Responder& reply) {
  absl::flat_hash_set<uint64_t>& watches = watchers_[client];
  if (static_cast<int>(watches.size()) >= options_.max_watches_per_client) {
    reply(absl::ResourceExhaustedError(
        absl::StrCat("over ", options_.max_watches_per_client, " watches")));
    return;
  }
  watches.insert(watch_id);
  reply(absl::OkStatus());
}

void ClientEndpoint::OnUnwatch(const std::string& client, uint64_t watch_id,
                               const Responder& reply) {
  auto it = watchers_.find(client);
  bool found = it != watchers_.end() && it->second.erase(watch_id);
  if (it != watchers_.end() && it->second.empty()) watchers_.erase(it);
  reply(found ? absl::OkStatus() : absl::NotFoundError("no such watch"));
}

}  // namespace arbor::endpoint

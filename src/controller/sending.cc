// The core: sending down the tree — routes, the per-root batches of calls
// (link/sender.h) and the calls whose send failed.
#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "controller/core.h"
#include "wire/codec.h"
#include "wire/deadline.h"

namespace arbor::controller {

// ---- sending ----

wire::Ancestor Core::RecordOf(NodeId id) const {
  if (id == kControllerId) {
    return {kControllerId, endpoint_, curve_endpoint_, keys_ ? keys_->public_z85 : ""};
  }
  const tree::Node* node = topology_.Find(id);
  if (node == nullptr) return {id, "", "", ""};
  return {id, node->endpoint, node->curve_endpoint,
          node->curve_endpoint.empty() ? "" : node->public_key};
}

void Core::ForgetLink(NodeId id) {
  children_->keys().Forget(id);
  children_->Forget(id);
}

absl::Status Core::SendToRoot(NodeId root, v1::Envelope& envelope) {
  wire::EncodeTo(envelope, send_buffer_);
  return roots_.Send(root, send_buffer_);  // after the calls batched for it: order is kept
}

absl::Status Core::SendDown(NodeId target, CallId call, v1::Envelope& envelope,
                            absl::Time deadline) {
  tree::Topology::Path route = topology_.Route(target);
  if (route.empty()) return absl::NotFoundError("no route");
  envelope.set_target(target);
  envelope.clear_route();
  for (size_t i = 1; i < route.size(); ++i) envelope.add_route(route[i]);
  wire::StampDeadline(envelope, deadline, loop_.ReadClock());
  // A monotonic clock means nothing on another host: its budget alone travels.
  if (multi_host_) {
    const tree::Node* root = topology_.Find(route[0]);
    if (root != nullptr && root->host != hosts::kLocal) envelope.set_sent_mono_us(0);
  }
  ++stats_.sent;
  // Batched with the other calls to this root this turn: a failed send fails
  // each of them (OnRootSendFailed).
  wire::EncodeTo(envelope, send_buffer_);
  roots_.Add(route[0], send_buffer_, {call, target});
  return absl::OkStatus();
}

void Core::OnRootSendFailed(NodeId root, absl::Span<const link::Tag> calls,
                            const absl::Status& why) {
  // Resolved by FlushRoots, never here: callers of SendDown and SendToRoot
  // hold state that a callback could change.
  log_.Debug("%d calls to node %d not sent: %s", calls.size(), root, why.ToString());
  for (const link::Tag& call : calls) unsent_.push_back({call.correlation_id, why});
}

void Core::FlushRoots() {
  // Resolving an unsent call may start others: until nothing is left.
  while (true) {
    roots_.FlushAll();
    if (unsent_.empty()) return;
    std::vector<std::pair<CallId, absl::Status>> unsent;
    unsent.swap(unsent_);
    for (auto& [call, status] : unsent) {
      pending_.Resolve(call, absl::UnavailableError(status.message()));
    }
    after_event_();
  }
}

void Core::Call(NodeId target, v1::Envelope& request, absl::Duration timeout,
                wire::PendingCalls::Callback callback) {
  if (pending_.InFlightTo(target) >= options_.max_node_in_flight) {
    callback(absl::ResourceExhaustedError(
        absl::StrCat("over ", options_.max_node_in_flight, " calls in flight to node ", target)));
    return;
  }
  absl::Time deadline = loop_.ReadClock() + timeout;
  CallId id = pending_.Add(deadline, target, std::move(callback));
  request.set_correlation_id(id);
  absl::Status sent = SendDown(target, id, request, deadline);
  if (!sent.ok()) {
    log_.Debug("call %d to node %d not sent: %s", id, target, sent.ToString());
    pending_.Resolve(id, sent);
  }
}

}  // namespace arbor::controller

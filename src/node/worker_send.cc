// Worker: what it sends and how — batched per peer (wire/batch.h), flushed
// when the loop turn ends, before a direct send to the same peer, and before
// re-attaching or exiting.
#include "node/worker.h"

#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "wire/codec.h"

namespace arbor::node {

// ---- sending ----

void Worker::SendUp(v1::Envelope& envelope) {
  wire::EncodeTo(envelope, send_buffer_);
  SendUpBytes(send_buffer_);
}

absl::Status Worker::SendToChild(NodeId child, std::string_view bytes) {
  FlushDown(child);  // after the requests batched for it: order is kept
  std::string id = absl::StrCat(child);  // its routing id
  return children_->Send({std::string_view(id), bytes});
}

void Worker::FlushDown(NodeId child) {
  auto it = down_.find(child);
  if (it != down_.end()) SendBatch(child, it->second);
}

void Worker::SendBatch(NodeId child, DownBatch& batch) {
  if (batch.writer.empty()) return;
  std::string id = absl::StrCat(child);
  absl::Status sent = children_->Send({std::string_view(id), batch.writer.Frame()});
  if (!sent.ok()) {
    for (const auto& [correlation_id, target] : batch.calls) {  // answering only touches up_
      ReplyError(correlation_id, target, absl::StatusCode::kUnavailable,
                 absl::StrCat("node ", child, " is unreachable from node ", options_.id));
    }
  }
  batch.writer.Clear();  // the buffers stay for the next turn
  batch.calls.clear();
}

void Worker::FlushUp() {
  if (up_.empty() || !parent_.has_value()) return;
  absl::Status sent = parent_->Send(up_.Frame());
  // A full queue to a frozen parent: the messages are lost and their calls time out.
  if (!sent.ok()) log_.Debug("send up failed: %s", sent.ToString());
  up_.Clear();
}

void Worker::FlushBatches() {
  for (auto& [child, batch] : down_) SendBatch(child, batch);  // failures add replies up
  FlushUp();
}

void Worker::SendToChildren(const v1::Envelope& envelope) {
  std::string bytes = wire::Encode(envelope);
  for (NodeId child : children_known_) SendToChild(child, bytes).IgnoreError();
}

void Worker::SendUpBytes(std::string_view bytes) {
  if (!parent_.has_value()) return;
  up_.Add(bytes);  // sent when the loop turn ends (FlushUp), in order
  if (up_.full()) FlushUp();
}

void Worker::ReplyError(const v1::Envelope& request, absl::StatusCode code,
                        const std::string& message) {
  ReplyError(request.correlation_id(), request.target(), code, message);
}

void Worker::ReplyError(uint64_t correlation_id, NodeId target, absl::StatusCode code,
                        const std::string& message) {
  v1::Envelope reply;
  reply.set_correlation_id(correlation_id);
  reply.set_target(target);
  reply.mutable_error()->set_code(static_cast<int32_t>(code));
  reply.mutable_error()->set_message(message);
  SendUp(reply);
}

void Worker::SendHello() {
  v1::Envelope hello;
  hello.set_target(options_.id);
  v1::Hello* h = hello.mutable_hello();
  h->set_id(options_.id);
  h->set_pid(getpid());
  h->set_endpoint(endpoint_);
  h->set_parent(parent_->parent());
  h->set_attempt(++hellos_);
  SendUp(hello);
}

void Worker::ReportLink(NodeId child, bool up) {
  log_.Debug("link to child %d is %s", child, up ? "up" : "down");
  v1::Envelope state;
  state.set_target(options_.id);
  v1::LinkState* s = state.mutable_link_state();
  s->set_id(child);
  s->set_up(up);
  s->set_reporter(options_.id);
  SendUp(state);
}

void Worker::CountDropped(const std::string& why) {
  log_.Debug("dropped a frame: %s", why);
  ++dropped_unreported_;
  if (drop_flush_scheduled_) return;
  // One notice per 100 ms at most, however fast garbage arrives.
  drop_flush_scheduled_ = true;
  loop_.ScheduleAfter(options_.drop_notice_interval, [this] { FlushDropped(); });
}

void Worker::FlushDropped() {
  drop_flush_scheduled_ = false;
  if (dropped_unreported_ == 0) return;
  v1::Envelope notice;
  notice.set_target(options_.id);
  notice.mutable_frame_dropped()->set_node(options_.id);
  notice.mutable_frame_dropped()->set_count(dropped_unreported_);
  dropped_unreported_ = 0;
  SendUp(notice);
}

}  // namespace arbor::node

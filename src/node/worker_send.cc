// Worker: what it sends and how — batched per peer (link/sender.h), flushed
// when the loop turn ends, before a direct send to the same peer, and before
// re-attaching or exiting.
#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "node/worker.h"
#include "wire/codec.h"

namespace arbor::node {

// ---- sending ----

void Worker::SendUp(v1::Envelope& envelope) {
  wire::EncodeTo(envelope, send_buffer_);
  SendUpBytes(send_buffer_);
}

absl::Status Worker::SendToChild(NodeId child, std::string_view bytes) {
  return down_.Send(child, bytes);  // after the requests batched for it: order is kept
}

void Worker::OnDownSendFailed(NodeId child, absl::Span<const link::Tag> calls,
                              const absl::Status&) {
  for (const link::Tag& call : calls) {  // answering only touches up_
    ReplyError(call.correlation_id, call.target, absl::StatusCode::kUnavailable,
               absl::StrCat("node ", child, " is unreachable from node ", options_.args.id));
  }
}

void Worker::FlushUp() {
  if (parent_.has_value()) up_.Flush(kParentPeer);
}

void Worker::FlushBatches() {
  down_.FlushAll();  // failures add replies up
  FlushUp();
}

void Worker::SendToChildren(const v1::Envelope& envelope) {
  std::string bytes = wire::Encode(envelope);
  for (NodeId child : children_known_) SendToChild(child, bytes).IgnoreError();
}

void Worker::SendUpBytes(std::string_view bytes) {
  if (!parent_.has_value()) return;
  up_.Add(kParentPeer, bytes);  // sent when the loop turn ends (FlushUp), in order
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
  hello.set_target(options_.args.id);
  v1::Hello* h = hello.mutable_hello();
  h->set_id(options_.args.id);
  h->set_pid(getpid());
  h->set_endpoint(children_->plain_endpoint());
  h->set_curve_endpoint(children_->curve_endpoint());
  if (!OnLocalHost()) h->set_host(options_.args.host);
  if (identity_) h->set_public_key(identity_->keys.public_z85);
  h->set_parent(parent_->parent());
  h->set_attempt(++hellos_);
  SendUp(hello);
}

void Worker::ReportLink(NodeId child, bool up) {
  log_.Debug("link to child %d is %s", child, up ? "up" : "down");
  v1::Envelope state;
  state.set_target(options_.args.id);
  v1::LinkState* s = state.mutable_link_state();
  s->set_id(child);
  s->set_up(up);
  s->set_reporter(options_.args.id);
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
  notice.set_target(options_.args.id);
  notice.mutable_frame_dropped()->set_node(options_.args.id);
  notice.mutable_frame_dropped()->set_count(dropped_unreported_);
  dropped_unreported_ = 0;
  SendUp(notice);
}

}  // namespace arbor::node

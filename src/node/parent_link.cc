#include "node/parent_link.h"

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace arbor::node {

GoneJudge::Verdict GoneJudge::OnEvent(transport::LinkEvent event) {
  switch (event) {
    case transport::LinkEvent::kConnected:
      refusals_ = 0;                      // a kernel accepts: not refused (a frozen parent's does)
      if (curve_) return Verdict::kNone;  // TCP only: the handshake decides it is up
      connected_ = established_ = true;
      return Verdict::kNone;
    case transport::LinkEvent::kHandshakeTimedOut:
      return Verdict::kNone;  // a frozen parent: silence never counts
    case transport::LinkEvent::kHandshakeSucceeded:
      connected_ = established_ = true;
      refusals_ = 0;
      return Verdict::kNone;
    case transport::LinkEvent::kHandshakeFailed:
      // A wrong key either way (a timed-out handshake is kHandshakeTimedOut):
      // libzmq retries a wrong server key forever and a refused client key not
      // at all; neither gets better by waiting.
      return curve_ ? Verdict::kAuthentication : Verdict::kNone;
    case transport::LinkEvent::kDisconnected:
      connected_ = false;
      return Verdict::kNone;
    case transport::LinkEvent::kConnectRetried:
      return !connected_ && ++refusals_ >= refusals_to_give_up_ ? Verdict::kGone : Verdict::kNone;
    case transport::LinkEvent::kOther:
      return Verdict::kNone;
  }
  return Verdict::kNone;
}

ParentLink::ParentLink(transport::Context& context, transport::EventLoop& loop,
                       const transport::SocketOptions& options, NodeId self,
                       int refusals_to_give_up, std::optional<CurveIdentity> curve,
                       std::function<void()> on_readable, std::function<void(Gone)> on_gone)
    : context_(context),
      loop_(loop),
      options_(options),
      self_(self),
      refusals_to_give_up_(refusals_to_give_up),
      curve_(std::move(curve)),
      on_readable_(std::move(on_readable)),
      on_gone_(std::move(on_gone)) {}

ParentLink::~ParentLink() { Close(0); }

void ParentLink::Close(int linger_ms) {
  if (monitor_ != nullptr) {
    loop_.RemoveSocket(monitor_->events());
    monitor_.reset();  // stops monitoring before the socket closes
  }
  if (dealer_.has_value()) {
    loop_.RemoveSocket(*dealer_);
    dealer_->SetLinger(linger_ms);
    dealer_.reset();
  }
}

absl::Status ParentLink::Connect(NodeId parent, const wire::Dial& dial, int old_linger_ms) {
  bool curve = !dial.server_key.empty();
  if (curve && !curve_) {
    return absl::FailedPreconditionError("a CURVE parent, and no key of our own");
  }
  // Over CURVE the routing id carries our token: no other key can claim it.
  ASSIGN_OR_RETURN(transport::Socket dealer,
                   transport::Socket::Dealer(context_, options_,
                                             curve ? curve_->routing_id : absl::StrCat(self_)));
  if (curve) {
    RETURN_IF_ERROR(dealer.EnableCurveClient(curve_->keys.public_z85, curve_->keys.secret_z85,
                                             dial.server_key));
  }
  Close(old_linger_ms);
  dealer_.emplace(std::move(dealer));
  ASSIGN_OR_RETURN(monitor_, transport::Monitor::Attach(
                                 context_, *dealer_, absl::StrCat(self_, ".", ++generation_),
                                 curve ? transport::MonitorScope::kWithHandshakes
                                       : transport::MonitorScope::kConnections));
  judge_.emplace(refusals_to_give_up_, curve);
  RETURN_IF_ERROR(dealer_->Connect(dial.endpoint));
  parent_ = parent;
  loop_.AddSocket(*dealer_, on_readable_);
  loop_.AddSocket(monitor_->events(), [this] { OnMonitorEvent(); });
  return absl::OkStatus();
}

void ParentLink::OnMonitorEvent() {
  while (monitor_ != nullptr) {
    std::optional<transport::LinkEvent> event = monitor_->Read();
    if (!event) return;
    if (Gone verdict = judge_->OnEvent(*event); verdict != Gone::kNone) {
      on_gone_(verdict);
      return;
    }
  }
}

absl::Status ParentLink::Send(std::string_view bytes) {
  if (!dealer_.has_value()) return absl::UnavailableError("no parent link");
  return dealer_->Send(bytes);
}

absl::StatusOr<bool> ParentLink::Receive(transport::Frames& frames) {
  if (!dealer_.has_value()) return false;
  return dealer_->Receive(frames);
}

void ParentLink::SetLinger(int ms) {
  if (dealer_.has_value()) dealer_->SetLinger(ms);
}

}  // namespace arbor::node

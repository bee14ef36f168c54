#include "node/parent_link.h"

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace arbor::node {

bool GoneJudge::OnEvent(transport::LinkEvent event) {
  switch (event) {
    case transport::LinkEvent::kConnected:
      connected_ = true;
      refusals_ = 0;
      return false;
    case transport::LinkEvent::kDisconnected:
      connected_ = false;
      return false;
    case transport::LinkEvent::kConnectRetried:
      return !connected_ && ++refusals_ >= refusals_to_give_up_;
    case transport::LinkEvent::kHandshakeSucceeded:  // not subscribed to here
    case transport::LinkEvent::kHandshakeFailed:
    case transport::LinkEvent::kOther:
      return false;
  }
  return false;
}

ParentLink::ParentLink(transport::Context& context, transport::EventLoop& loop,
                       const transport::SocketOptions& options, NodeId self,
                       int refusals_to_give_up, std::function<void()> on_readable,
                       std::function<void()> on_gone)
    : context_(context),
      loop_(loop),
      options_(options),
      self_(self),
      refusals_to_give_up_(refusals_to_give_up),
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

absl::Status ParentLink::Connect(NodeId parent, const std::string& endpoint, int old_linger_ms) {
  ASSIGN_OR_RETURN(transport::Socket dealer,
                   transport::Socket::Dealer(context_, options_, absl::StrCat(self_)));
  Close(old_linger_ms);
  dealer_.emplace(std::move(dealer));
  ASSIGN_OR_RETURN(monitor_, transport::Monitor::Attach(context_, *dealer_,
                                                        absl::StrCat(self_, ".", ++generation_)));
  judge_.emplace(refusals_to_give_up_);
  RETURN_IF_ERROR(dealer_->Connect(endpoint));
  parent_ = parent;
  endpoint_ = endpoint;
  loop_.AddSocket(*dealer_, on_readable_);
  loop_.AddSocket(monitor_->events(), [this] { OnMonitorEvent(); });
  return absl::OkStatus();
}

void ParentLink::OnMonitorEvent() {
  while (monitor_ != nullptr) {
    std::optional<transport::LinkEvent> event = monitor_->Read();
    if (!event) return;
    if (judge_->OnEvent(*event)) {
      on_gone_();
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

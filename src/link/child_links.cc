#include "link/child_links.h"

#include <atomic>

#include "absl/memory/memory.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "link/sender.h"
#include "transport/curve.h"

namespace arbor::link {

absl::StatusOr<std::unique_ptr<ChildLinks>> ChildLinks::Bind(transport::Context& context,
                                                             transport::EventLoop& loop,
                                                             transport::ZapHandler* zap,
                                                             const ChildLinksOptions& options,
                                                             EnvelopeFn on_envelope, DropFn on_drop,
                                                             StopFn stop, AfterFn after) {
  auto links =
      absl::WrapUnique(new ChildLinks(loop, zap, options, std::move(on_envelope),
                                      std::move(on_drop), std::move(stop), std::move(after)));
  ChildLinks* self = links.get();
  static std::atomic<int> monitors = 0;  // each monitor's inproc name is unique
  if (!options.plain_bind.empty()) {
    ASSIGN_OR_RETURN(transport::Socket socket, transport::Socket::Router(context, options.sockets));
    links->plain_.emplace(std::move(socket));
    ASSIGN_OR_RETURN(links->plain_endpoint_, links->plain_->Bind(options.plain_bind));
    loop.AddSocket(*links->plain_,
                   [self] { self->Read(*self->plain_, self->plain_receiver_, false); });
  }
  if (!options.curve_bind.empty()) {
    if (zap == nullptr) return absl::FailedPreconditionError("a CURVE ROUTER needs a ZAP handler");
    zap->Serve(transport::kZapDomain, links->keys_.Policy());
    ASSIGN_OR_RETURN(transport::Socket socket, transport::Socket::Router(context, options.sockets));
    links->curve_.emplace(std::move(socket));
    RETURN_IF_ERROR(links->curve_->EnableCurveServer(options.secret_z85));
    ASSIGN_OR_RETURN(links->curve_endpoint_, links->curve_->Bind(options.curve_bind));
    links->curve_receiver_.RequireUserIds(true);
    // A peer without CURVE, or with a key nobody issued, never gets a frame
    // through: its failed handshake is what there is to count.
    ASSIGN_OR_RETURN(links->monitor_,
                     transport::Monitor::Attach(context, *links->curve_,
                                                absl::StrCat("child-links.", ++monitors),
                                                transport::MonitorScope::kWithHandshakes));
    loop.AddSocket(links->monitor_->events(), [self] { self->OnMonitorEvent(); });
    loop.AddSocket(*links->curve_,
                   [self] { self->Read(*self->curve_, self->curve_receiver_, true); });
  }
  return links;
}

ChildLinks::~ChildLinks() {
  // Its policy reads keys_, which goes with this (also after a failed Bind).
  if (!options_.curve_bind.empty() && zap_ != nullptr) zap_->Stop(transport::kZapDomain);
  if (monitor_ != nullptr) {
    loop_.RemoveSocket(monitor_->events());
    monitor_.reset();  // stops monitoring before the socket closes
  }
  for (std::optional<transport::Socket>* socket : {&plain_, &curve_}) {
    if (!socket->has_value()) continue;
    loop_.RemoveSocket(**socket);
    (*socket)->SetLinger(0);
  }
}

void ChildLinks::Read(transport::Socket& socket, Receiver& receiver, bool curve) {
  receiver.Drain(
      socket, PeerShape::kRouter, options_.receive_batch,
      [this, curve](NodeId from, v1::Envelope& envelope, std::string_view bytes) {
        if (curve) {
          const std::string* current = keys_.RoutingIdOf(from);
          if (current == nullptr || *current != curve_receiver_.user_id()) {
            on_drop_(from, absl::PermissionDeniedError(absl::StrCat(
                               "an old incarnation's connection of node ", from)));
            return;
          }
          // A child's (re-)connection starts with its Hello: replies go back
          // over CURVE from then on.
          if (envelope.has_hello()) curve_children_.insert(from);
        } else if (curve_children_.contains(from) || curve_only_.contains(from)) {
          on_drop_(from, absl::PermissionDeniedError(absl::StrCat(
                             "node ", from, " links over CURVE, not on the plain socket")));
          return;
        }
        on_envelope_(from, envelope, bytes);
      },
      [this](NodeId from, const absl::Status& why) { on_drop_(from, why); },
      [this] { return stop_(); });
  after_();
}

absl::Status ChildLinks::Allow(NodeId id, std::string_view public_z85, std::string_view token,
                               bool curve_only) {
  RETURN_IF_ERROR(keys_.Allow(id, public_z85, token));
  curve_children_.erase(id);
  if (curve_only) {
    curve_only_.insert(id);
  } else {
    curve_only_.erase(id);
  }
  return absl::OkStatus();
}

void ChildLinks::OnMonitorEvent() {
  while (std::optional<transport::LinkEvent> event = monitor_->Read()) {
    if (*event != transport::LinkEvent::kHandshakeFailed) continue;
    bool auth = monitor_->last_failure() == transport::HandshakeFailure::kAuth;
    on_drop_(kOnlyPeer, absl::PermissionDeniedError(
                            auth ? "refused a CURVE handshake: a key not issued for this link"
                                 : "refused a CURVE handshake: a peer without the right CURVE"));
  }
}

absl::Status ChildLinks::Send(NodeId child, std::string_view frame) {
  if (curve_.has_value() && (!plain_.has_value() || curve_children_.contains(child))) {
    const std::string* routing_id = keys_.RoutingIdOf(child);
    if (routing_id == nullptr) {
      return absl::UnavailableError(absl::StrCat("no key for node ", child));
    }
    return SendRouted(*curve_, *routing_id, frame);
  }
  if (!plain_.has_value()) return absl::UnavailableError("no link to children");
  return SendRouted(*plain_, child, frame);
}

void ChildLinks::SetLinger(int ms) {
  if (plain_) plain_->SetLinger(ms);
  if (curve_) curve_->SetLinger(ms);
}

}  // namespace arbor::link

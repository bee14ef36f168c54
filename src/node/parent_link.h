// A worker's link to its parent: the upstream DEALER (routing id = node id) and
// the verdict "parent gone" read from its socket monitor. Gone means the
// connection is down and reconnecting is refused (nothing listens at the
// parent's endpoint any more); a frozen parent's kernel still accepts
// connections, so silence alone never counts. Over CURVE a connection counts
// only once its handshake succeeded (a TCP connect proves nothing about keys),
// and a failed handshake (a wrong key, either way) is a verdict of its own.
#ifndef ARBOR_NODE_PARENT_LINK_H_
#define ARBOR_NODE_PARENT_LINK_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "common/ids.h"
#include "transport/curve.h"
#include "transport/event_loop.h"
#include "transport/monitor.h"
#include "transport/socket.h"
#include "wire/lineage.h"

namespace arbor::node {

// The verdict alone, fed with monitor events (pure, for tests).
class GoneJudge {
 public:
  enum class Verdict {
    kNone,
    kGone,            // the connection dropped and reconnects were refused
    kAuthentication,  // a CURVE handshake failed
  };
  // `curve`: only a handshake success shows a live parent.
  GoneJudge(int refusals_to_give_up, bool curve)
      : refusals_to_give_up_(refusals_to_give_up), curve_(curve) {}
  // libzmq reports one CONNECT_RETRIED when it schedules the reconnect after a
  // drop, and one per refused attempt.
  Verdict OnEvent(transport::LinkEvent event);
  // The link was up at least once.
  bool established() const { return established_; }

 private:
  int refusals_to_give_up_;
  bool curve_;
  bool connected_ = false;
  bool established_ = false;
  int refusals_ = 0;
};

// Ours, for a CURVE parent: the key pair issued for this incarnation and the
// routing id with its token (transport::CurveRoutingId).
struct CurveIdentity {
  transport::CurveKeyPair keys;
  std::string routing_id;
};

class ParentLink {
 public:
  using Gone = GoneJudge::Verdict;
  // `context` and `loop` must outlive the link. `on_readable` runs while the
  // parent has sent something; `on_gone` once the parent is gone, or its
  // CURVE handshake failed. `curve`: ours, for a CURVE parent.
  ParentLink(transport::Context& context, transport::EventLoop& loop,
             const transport::SocketOptions& options, NodeId self, int refusals_to_give_up,
             std::optional<CurveIdentity> curve, std::function<void()> on_readable,
             std::function<void(Gone)> on_gone);
  ~ParentLink();
  ParentLink(const ParentLink&) = delete;
  ParentLink& operator=(const ParentLink&) = delete;

  // Connects to `parent` at `endpoint`, replacing any previous connection; what
  // the old one still queues may flush for `old_linger_ms`.
  // With a server key, over CURVE (the identity given at construction).
  absl::Status Connect(NodeId parent, const wire::Dial& dial, int old_linger_ms);

  // Non-blocking; a full queue to a frozen parent is RESOURCE_EXHAUSTED.
  absl::Status Send(std::string_view bytes);
  absl::StatusOr<bool> Receive(transport::Frames& frames);
  void SetLinger(int ms);

  NodeId parent() const { return parent_; }
  // The current connection was up at least once (over CURVE: a handshake
  // succeeded).
  bool established() const { return judge_.has_value() && judge_->established(); }

 private:
  void OnMonitorEvent();
  void Close(int linger_ms);

  transport::Context& context_;
  transport::EventLoop& loop_;
  transport::SocketOptions options_;
  NodeId self_;
  int refusals_to_give_up_;
  std::optional<CurveIdentity> curve_;
  std::function<void()> on_readable_;
  std::function<void(Gone)> on_gone_;

  NodeId parent_ = kControllerId;
  std::optional<transport::Socket> dealer_;
  std::unique_ptr<transport::Monitor> monitor_;  // watches dealer_: goes first
  std::optional<GoneJudge> judge_;
  int generation_ = 0;  // makes each monitor's inproc endpoint unique
};

}  // namespace arbor::node

#endif  // ARBOR_NODE_PARENT_LINK_H_

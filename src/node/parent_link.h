// A worker's link to its parent: the upstream DEALER (routing id = node id) and
// the verdict "parent gone" read from its socket monitor. Gone means the
// connection is down and reconnecting is refused (nothing listens at the
// parent's endpoint any more); a frozen parent's kernel still accepts
// connections, so silence alone never counts.
#ifndef ARBOR_NODE_PARENT_LINK_H_
#define ARBOR_NODE_PARENT_LINK_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "common/ids.h"
#include "transport/event_loop.h"
#include "transport/monitor.h"
#include "transport/socket.h"

namespace arbor::node {

// The verdict alone, fed with monitor events (pure, for tests).
class GoneJudge {
 public:
  explicit GoneJudge(int refusals_to_give_up) : refusals_to_give_up_(refusals_to_give_up) {}
  // True once the parent is gone. libzmq reports one CONNECT_RETRIED when it
  // schedules the reconnect after a drop, and one per refused attempt.
  bool OnEvent(transport::LinkEvent event);

 private:
  int refusals_to_give_up_;
  bool connected_ = false;
  int refusals_ = 0;
};

class ParentLink {
 public:
  // `context` and `loop` must outlive the link. `on_readable` runs while the
  // parent has sent something; `on_gone` once the parent is gone.
  ParentLink(transport::Context& context, transport::EventLoop& loop,
             const transport::SocketOptions& options, NodeId self, int refusals_to_give_up,
             std::function<void()> on_readable, std::function<void()> on_gone);
  ~ParentLink();
  ParentLink(const ParentLink&) = delete;
  ParentLink& operator=(const ParentLink&) = delete;

  // Connects to `parent` at `endpoint`, replacing any previous connection; what
  // the old one still queues may flush for `old_linger_ms`.
  absl::Status Connect(NodeId parent, const std::string& endpoint, int old_linger_ms);

  // Non-blocking; a full queue to a frozen parent is RESOURCE_EXHAUSTED.
  absl::Status Send(std::string_view bytes);
  absl::StatusOr<bool> Receive(transport::Frames& frames);
  void SetLinger(int ms);

  NodeId parent() const { return parent_; }
  const std::string& endpoint() const { return endpoint_; }

 private:
  void OnMonitorEvent();
  void Close(int linger_ms);

  transport::Context& context_;
  transport::EventLoop& loop_;
  transport::SocketOptions options_;
  NodeId self_;
  int refusals_to_give_up_;
  std::function<void()> on_readable_;
  std::function<void()> on_gone_;

  NodeId parent_ = kControllerId;
  std::string endpoint_;
  std::optional<transport::Socket> dealer_;
  std::unique_ptr<transport::Monitor> monitor_;  // watches dealer_: goes first
  std::optional<GoneJudge> judge_;
  int generation_ = 0;  // makes each monitor's inproc endpoint unique
};

}  // namespace arbor::node

#endif  // ARBOR_NODE_PARENT_LINK_H_

// One compute node: executes requests addressed to it on its Store, forwards the
// rest down its source route or up to its parent, watches its children's
// heartbeats, and when its parent is gone re-attaches to its nearest live
// ancestor (or exits, with --orphans=exit).
#ifndef ARBOR_NODE_WORKER_H_
#define ARBOR_NODE_WORKER_H_

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "api/defaults.h"
#include "arbor/v1/arbor.pb.h"
#include "common/ids.h"
#include "common/log.h"
#include "health/detector.h"
#include "launch/worker_args.h"
#include "link/child_links.h"
#include "link/receiver.h"
#include "link/sender.h"
#include "node/parent_link.h"
#include "node/store.h"
#include "process/signals.h"
#include "transport/curve.h"
#include "transport/endpoints.h"
#include "transport/event_loop.h"
#include "transport/monitor.h"
#include "transport/socket.h"
#include "transport/zap.h"
#include "wire/lineage.h"
#include "wire/scratch.h"

namespace arbor::node {

struct WorkerOptions {
  // What the controller said on the command line (launch/worker_args.h).
  launch::WorkerArgs args;
  // With args.curve(): the secret key and routing token that came first on the
  // lifeline; the public key is derived from the secret.
  launch::WorkerSecrets secrets;
  transport::SocketOptions sockets;
  // Consecutive refused reconnects after which the parent counts as gone.
  int refusals_to_give_up = 3;
  // How long queued messages may delay the exit (Reparent, last replies).
  int exit_linger_ms = 2000;
  // How long a Shutdown forwarded to the children may delay the exit.
  int shutdown_linger_ms = 200;
  // Messages read from one socket before the others get their turn.
  int receive_batch = 256;
  // Dropped frames are reported up at most this often (one FrameDropped each).
  absl::Duration drop_notice_interval = absl::Milliseconds(100);
};

class Worker {
 public:
  // Binds the ROUTER for children, connects to the parent, says Hello.
  static absl::StatusOr<std::unique_ptr<Worker>> Start(const WorkerOptions& options);
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;
  ~Worker();

  // Runs until Shutdown, remove, a signal, or the parent is gone. Returns the
  // process exit code.
  int Run();

 private:
  Worker(const WorkerOptions& options, process::SignalFd signals);
  absl::Status Setup();

  void OnParentReadable();
  void OnSignal();
  // stdin readable with a lifeline: EOF (or an error) means the controller is gone.
  void OnLifeline();
  void OnHeartbeatTimer();

  void OnParentEnvelope(v1::Envelope& envelope);
  void OnChildEnvelope(NodeId child, v1::Envelope& envelope, std::string_view bytes);
  void Execute(v1::Envelope& request);
  void Forward(v1::Envelope& request, absl::Time deadline);
  void ApplyHeartbeat(absl::Duration interval);
  void Reparent(const wire::Ancestor& parent);
  // A key the controller issued for a new node below us (CreateRequest): an
  // orphan of our subtree may re-attach to us with it.
  void AllowKey(const v1::CreateRequest& create);
  // ---- orphan adoption (worker_adopt.cc) ----
  // The parent is gone: try the ancestors in turn, nearest first.
  void OnParentGone(ParentLink::Gone why);
  void TryNextAncestor();
  // Says Hello to the ancestor being tried again (our last one may have been
  // lost behind a link that broke); gives up on it after adopt_timeout.
  void OnAdoptTimer();
  void ArmAdoptTimer();  // OnAdoptTimer in a quarter of adopt_timeout
  // A Lineage from the parent link: forwarded down its route, or ours.
  void OnLineage(v1::Envelope& envelope);
  void OnAdopted();
  // Our verdict on every child link, up or down, sent again.
  void ReportAllLinks();
  // Tells the children their ancestors beyond us changed (Lineage).
  void SendLineage();
  void BeginRemove(const v1::Envelope& request);
  void FinishRemove();
  void Exit(int code, int linger_ms);

  void SendUp(v1::Envelope& envelope);
  void SendUpBytes(std::string_view bytes);
  // On the local host: the plain endpoint of our ROUTER and our Hello's.
  bool OnLocalHost() const { return options_.args.host == "local"; }
  // Non-blocking; UNAVAILABLE when `child` is not connected, RESOURCE_EXHAUSTED
  // when its queue is full.
  absl::Status SendToChild(NodeId child, std::string_view bytes);
  // down_'s failed batch: answers each call it carried UNAVAILABLE (up).
  void OnDownSendFailed(NodeId child, absl::Span<const link::Tag> calls, const absl::Status& why);
  // Configuration and shutdown travel hop by hop to every child that said Hello.
  void SendToChildren(const v1::Envelope& envelope);
  void ReplyError(const v1::Envelope& request, absl::StatusCode code, const std::string& message);
  void ReplyError(uint64_t correlation_id, NodeId target, absl::StatusCode code,
                  const std::string& message);
  // Batched sends (link/sender.h) go out when the loop turn ends, before a
  // direct send to the same peer, and before re-attaching or exiting.
  void FlushUp();
  void FlushBatches();
  void SendHello();
  void ReportLink(NodeId child, bool up);
  void CountDropped(const std::string& why);
  void FlushDropped();

  WorkerOptions options_;
  Logger log_;
  process::SignalFd signals_;
  transport::Context context_;
  transport::EventLoop loop_;
  std::optional<CurveIdentity> identity_;  // with args.curve()
  // The context's ZAP handler, with a CURVE ROUTER (before it binds).
  std::unique_ptr<transport::ZapHandler> zap_;
  std::unique_ptr<link::ChildLinks> children_;
  std::optional<ParentLink> parent_;
  wire::Ancestor parent_record_;           // how the parent is reached, for our children
  std::vector<wire::Ancestor> ancestors_;  // beyond the parent
  uint64_t hellos_ = 0;                    // Hello.attempt of the last one sent
  // Re-attaching: the index in ancestors_ of the next one to try; when we gave
  // the current one our first Hello; the timer that says it again or gives up.
  // Done when the controller's Lineage for us arrives through it. (No default
  // member initializers: clang 14 cannot build std::optional of such a nested
  // struct inside its incomplete enclosing class.)
  struct Adoption {
    std::vector<wire::Ancestor> candidates;  // ancestors_ when the parent went
    size_t next;
    absl::Time since;
    std::optional<transport::EventLoop::TimerId> timer;
  };
  std::optional<Adoption> adoption_;

  Store store_;
  health::Detector detector_;
  absl::flat_hash_set<NodeId> children_known_;  // said Hello to us
  // Of those, the ones whose Hello named another host: no sent_mono_us for
  // them (clocks of different hosts are not comparable).
  absl::flat_hash_set<NodeId> elsewhere_;
  std::optional<transport::EventLoop::TimerId> heartbeat_timer_;
  uint64_t dropped_unreported_ = 0;
  bool drop_flush_scheduled_ = false;
  int exit_code_ = 0;

  // Being removed: the children told to move that have not acknowledged yet
  // (their ack is the last frame on the old link, behind their replies).
  struct Removal {
    v1::Envelope request;
    std::vector<NodeId> told;
    absl::flat_hash_set<NodeId> waiting;
  };
  std::optional<Removal> removal_;
  link::Receiver receiver_;        // every frame from the parent
  wire::ScratchEnvelope replies_;  // each reply Execute builds
  std::string send_buffer_;        // what SendUp and Forward encode into
  // Requests forwarded to each child this turn, tagged with who to answer
  // (ReplyError up) if the send fails.
  link::BatchedSender down_;
  // Everything for the parent this turn: one peer, whoever the parent is now.
  static constexpr NodeId kParentPeer = kControllerId;
  link::BatchedSender up_;
};

}  // namespace arbor::node

#endif  // ARBOR_NODE_WORKER_H_

// The controller's core: the operations (api/operations.h) over the topology
// (tree/), the dispatch queue (dispatch/), the pending-call table (rpc/), the
// failure detector (health/), the worker processes (process/) and the links to
// its children (link/). Both front ends -- the command line and the client
// endpoint -- call it; it knows neither (controller.h wires them).
#ifndef ARBOR_CONTROLLER_CORE_H_
#define ARBOR_CONTROLLER_CORE_H_

#include <sys/types.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "api/operations.h"
#include "arbor/v1/arbor.pb.h"
#include "common/log.h"
#include "controller/launcher_stderr.h"
#include "controller/options.h"
#include "dispatch/queue.h"
#include "health/detector.h"
#include "launch/worker_args.h"
#include "link/child_links.h"
#include "link/sender.h"
#include "process/worker_pool.h"
#include "transport/curve.h"
#include "transport/endpoints.h"
#include "transport/event_loop.h"
#include "transport/socket.h"
#include "transport/zap.h"
#include "tree/topology.h"
#include "wire/calls.h"
#include "wire/lineage.h"
#include "wire/scratch.h"

namespace arbor::controller {

class Core : public api::Operations {
 public:
  // Creates the endpoint directory and binds the children's ROUTER on `loop`;
  // with more than one host, also a CURVE ROUTER on the local host's address,
  // whose keys `zap` (the context's handler, required then) checks. `context`,
  // `loop` and `zap` must outlive the core. `after_event` runs after each
  // event the core handles itself (a frame from the tree, a timer, sends that
  // failed): the wiring's turn to run what waited and read more.
  static absl::StatusOr<std::unique_ptr<Core>> Start(const ControllerOptions& options,
                                                     transport::Context& context,
                                                     transport::EventLoop& loop,
                                                     transport::ZapHandler* zap,
                                                     std::function<void()> after_event);
  Core(const Core&) = delete;
  Core& operator=(const Core&) = delete;
  // No worker outlives it (each handle kills and reaps).
  ~Core();

  // ---- what the wiring tells it (core.cc) ----
  // SIGCHLD: reaps every worker that ended; stops the loop once shutting down
  // and none is left.
  void OnChildSignal();
  // Sends Shutdown down the tree, then SIGKILL after the grace; the loop stops
  // when every worker has been reaped. Accepting() turns false: the front ends
  // take no new request (a client's answers UNAVAILABLE).
  void BeginShutdown();
  // A second signal: no more grace.
  void KillAll();
  // Runs every waiting operation that may run now (dispatch/queue.h).
  void RunWaiting();
  // Arms the timer of the nearest call or waiting-operation deadline.
  void ArmDeadlineTimer();
  // No operation waits.
  bool Idle() const { return queue_.empty(); }

  // ---- Operations (operations.cc) ----
  void Dispatch(Order order, absl::AnyInvocable<void()> op) override;
  void Create(NodeId id, NodeId parent, const std::string& host, absl::Duration timeout,
              api::Done<api::CreateResult> done) override;
  void Exec(NodeId id, const std::string& key, std::optional<int64_t> value, absl::Duration timeout,
            api::Done<api::ExecResult> done) override;
  void Ping(NodeId id, absl::Duration timeout, api::Done<bool> done) override;
  void Remove(NodeId id, absl::Duration timeout, api::DoneStatus done) override;
  void SetHeartbeat(int64_t interval_ms) override;
  std::vector<api::NodeInfo> Topology() const override;
  api::Stats Stats() const override;
  std::vector<api::HostInfo> Hosts() const override;
  void Watch(absl::AnyInvocable<void(const api::NodeEvent&)> on_event) override;
  void CountDroppedFrame() override;
  bool Accepting() const override { return !shutting_down_; }

 private:
  Core(const ControllerOptions& options, transport::Context& context, transport::EventLoop& loop,
       transport::ZapHandler* zap, std::function<void()> after_event);
  absl::Status Setup();

  // ---- events (core.cc) ----
  void OnHeartbeatTimer();
  void OnDeadlineTimer();
  void OnEnvelope(NodeId from, v1::Envelope& envelope);
  void OnHello(NodeId from, const v1::Envelope& envelope);
  void OnReply(v1::Envelope& envelope);
  void OnWorkerExit(pid_t pid, int wait_status);
  void MarkDead(NodeId id);
  // Records link verdicts and publishes the Heartbit transitions they cause,
  // sorted by id.
  void ApplyLinks(const std::vector<health::LinkChange>& changes);

  // ---- operations' helpers (operations.cc) ----
  absl::Duration TimeoutOr(absl::Duration timeout) const;
  // `secrets`: what was issued for it besides its public key (BeginCreate took
  // that), with more than one host.
  void SpawnWorker(NodeId id, absl::Time deadline, const launch::WorkerSecrets& secrets,
                   api::Done<api::CreateResult> done);
  // The create of `id` failed: its key is refused again and the topology
  // forgets the incarnation.
  void AbortCreate(NodeId id);
  // Why a worker (or its launcher) that never said Hello ended.
  std::string SpawnFailure(const tree::Node& node, int wait_status) const;
  // A child of `parent`'s ancestors beyond it, nearest first, ending with the
  // controller (wire/lineage.h); empty under the controller.
  std::vector<wire::Ancestor> AncestorsBeyond(NodeId parent) const;
  // Tells `id` its ancestors (down its route): the answer to its Hello that
  // ends an orphan's adoption, and keeps every worker's list current.
  void SendLineage(NodeId id);
  void ExpectReattach(NodeId id);
  // `parent`: for ADOPTED, the new parent.
  void Notify(NodeId id, api::EventKind kind, int64_t pid, NodeId parent = kControllerId);

  // ---- sending (sending.cc) ----
  // Registers a call to `target` and queues it on its route's first hop (sent
  // when the loop turn ends). No route: resolved at once (NOT_FOUND); a send
  // that fails: resolved UNAVAILABLE before the loop waits (FlushRoots).
  void Call(NodeId target, v1::Envelope& request, absl::Duration timeout,
            wire::PendingCalls::Callback callback);
  // Queues call `call` to `target` on its root's batch in roots_ (sent when the
  // loop turn ends, or at 16 envelopes); NOT_FOUND when there is no route.
  absl::Status SendDown(NodeId target, CallId call, v1::Envelope& envelope, absl::Time deadline);
  // Every root's batch, then resolves the unsent calls (and drives what that starts).
  void FlushRoots();
  // Sends `envelope` to `root` now, after the calls batched for it.
  absl::Status SendToRoot(NodeId root, v1::Envelope& envelope);
  // roots_'s failed batch: its calls go to unsent_.
  void OnRootSendFailed(NodeId root, absl::Span<const link::Tag> calls, const absl::Status& why);
  // How `id` (kControllerId: the controller) is reached (wire/lineage.h).
  wire::Ancestor RecordOf(NodeId id) const;
  // Forgets `id`'s key and link: its process is gone or going.
  void ForgetLink(NodeId id);
  void ArmHeartbeatTimer();

  ControllerOptions options_;
  Logger log_;
  transport::Context& context_;
  transport::EventLoop& loop_;
  std::function<void()> after_event_;
  transport::ZapHandler* zap_;
  std::optional<transport::IpcDirectory> ipc_dir_;
  // More than one host: every worker gets a key pair, and CURVE links cross hosts.
  bool multi_host_ = false;
  std::optional<transport::CurveKeyPair> keys_;  // ours, with multi_host_
  std::unique_ptr<link::ChildLinks> children_;
  std::string endpoint_;        // children_'s plain endpoint
  std::string curve_endpoint_;  // children_'s CURVE endpoint, with multi_host_
  std::unique_ptr<process::WorkerPool> workers_;
  LauncherStderr launcher_stderr_{loop_};  // of the workers on other hosts
  launch::WorkerArgs worker_args_;  // what every worker is given (Setup)

  tree::Topology topology_;
  wire::PendingCalls pending_;
  health::Detector detector_;  // links to the controller's own children
  int64_t heartbeat_ms_ = 0;

  // Operations waiting for a node that is being created, moved or removed.
  dispatch::Queue queue_{topology_};

  // Every watcher of node events, in the order they asked.
  std::vector<absl::AnyInvocable<void(const api::NodeEvent&)>> watchers_;

  std::optional<transport::EventLoop::TimerId> deadline_timer_;
  absl::Time deadline_armed_ = absl::InfiniteFuture();
  std::optional<transport::EventLoop::TimerId> heartbeat_timer_;
  bool shutting_down_ = false;

  api::Stats stats_;
  std::string send_buffer_;         // what SendToRoot and SendDown encode into
  wire::ScratchEnvelope requests_;  // exec requests are built here
  // The calls sent to each root this turn, batched into one frame; each call is
  // tagged {call id, target}.
  link::BatchedSender roots_;
  std::vector<std::pair<CallId, absl::Status>> unsent_;  // resolved by FlushRoots
};

}  // namespace arbor::controller

#endif  // ARBOR_CONTROLLER_CORE_H_

// The controller: one event loop wiring the command line (cli/), the topology
// (tree/), the pending-call table (rpc/), the failure detector (health/) and the
// worker processes (process/). Start here to follow a request.
#ifndef ARBOR_CONTROLLER_CONTROLLER_H_
#define ARBOR_CONTROLLER_CONTROLLER_H_

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "arbor/v1/arbor.pb.h"
#include "cli/answer_order.h"
#include "cli/command.h"
#include "cli/format.h"
#include "cli/line_reader.h"
#include "common/log.h"
#include "controller/client_endpoint.h"
#include "controller/operations.h"
#include "controller/options.h"
#include "dispatch/queue.h"
#include "wire/batch.h"
#include "wire/lineage.h"
#include "wire/scratch.h"
#include "health/detector.h"
#include "process/signals.h"
#include "process/worker_pool.h"
#include "wire/calls.h"
#include "transport/endpoints.h"
#include "transport/event_loop.h"
#include "transport/socket.h"
#include "tree/topology.h"

namespace arbor::controller {

class Controller : public Operations {
 public:
  // Blocks the handled signals, creates the endpoint directory, binds the
  // children's ROUTER. stdin and stdout are the process's own.
  static absl::StatusOr<std::unique_ptr<Controller>> Start(const ControllerOptions& options);
  Controller(const Controller&) = delete;
  Controller& operator=(const Controller&) = delete;
  ~Controller();

  // Runs until EOF/quit (after every pending answer) or a signal, then shuts the
  // tree down. Returns the exit code.
  int Run();

  // ---- Operations (operations.cc) ----
  void Dispatch(Nodes nodes, bool is_remove, absl::Time deadline,
                absl::AnyInvocable<void()> op) override;
  void Create(NodeId id, NodeId parent, absl::Duration timeout,
              Done<api::CreateResult> done) override;
  void Exec(NodeId id, const std::string& key, std::optional<int64_t> value,
            absl::Duration timeout, Done<api::ExecResult> done) override;
  void Ping(NodeId id, absl::Duration timeout, Done<bool> done) override;
  void Remove(NodeId id, absl::Duration timeout, DoneStatus done) override;
  void SetHeartbeat(int64_t interval_ms) override;
  std::vector<api::NodeInfo> Topology() const override;
  api::Stats Stats() const override;
  void CountDroppedFrame() override;
  bool Accepting() const override { return !shutting_down_; }

 private:
  Controller(const ControllerOptions& options, process::SignalFd signals);
  absl::Status Setup();
  absl::Status StartClientEndpoint();

  // ---- events (controller.cc) ----
  void OnStdinReadable();
  void OnChildrenReadable();
  void OnSignal();
  void OnHeartbeatTimer();
  void OnDeadlineTimer();
  void OnEnvelope(NodeId from, v1::Envelope& envelope);
  void OnHello(NodeId from, const v1::Envelope& envelope);
  void OnReply(v1::Envelope& envelope);
  void OnWorkerExit(pid_t pid, int wait_status);
  void MarkDead(NodeId id);
  // Records link verdicts and prints the Heartbit lines they cause, sorted.
  void ApplyLinks(const std::vector<health::LinkChange>& changes);

  // After every event: dispatch what waited, read more lines, maybe shut down.
  void Drive();
  void ProcessLines();
  void UpdateStdinInterest();
  bool CanAcceptLine() const;
  void Print(const std::string& line);
  void BeginShutdown();

  // ---- command line and dispatch order (commands.cc) ----
  void OnLine(std::string_view line);
  void Execute(uint64_t seq, const cli::Command& command);
  void Answer(uint64_t seq, std::vector<std::string> lines);
  void Answer(uint64_t seq, std::string line) { Answer(seq, std::vector<std::string>{std::move(line)}); }

  // ---- operations' helpers (operations.cc) ----
  absl::Duration TimeoutOr(absl::Duration timeout) const;
  void SpawnWorker(NodeId id, absl::Time deadline, Done<api::CreateResult> done);
  // A child of `parent`'s ancestors beyond it, nearest first, ending with the
  // controller (wire/lineage.h); empty under the controller.
  std::vector<wire::Ancestor> AncestorsBeyond(NodeId parent) const;
  // Tells `id` its ancestors (down its route): the answer to its Hello that
  // ends an orphan's adoption, and keeps every worker's list current.
  void SendLineage(NodeId id);
  void ExpectReattach(NodeId id);
  // `parent`: for ADOPTED, the new parent.
  void Notify(NodeId id, api::EventKind kind, int64_t pid, NodeId parent = kControllerId);

  // ---- sending ----
  // Registers a call to `target` and queues it on its route's first hop (sent
  // when the loop turn ends). No route: resolved at once (NOT_FOUND); a send
  // that fails: resolved UNAVAILABLE before the loop waits (FlushRoots).
  void Call(NodeId target, v1::Envelope& request, absl::Duration timeout,
            wire::PendingCalls::Callback callback);
  // Queues call `call` to `target` on its root's batch (sent when the loop turn
  // ends, or at 16 envelopes); NOT_FOUND when there is no route.
  absl::Status SendDown(NodeId target, CallId call, v1::Envelope& envelope, absl::Time deadline);
  // Sends the root's batch now (SendBatch).
  void FlushRoot(NodeId root);
  // Every batch, then resolves the unsent calls (and drives what that starts).
  void FlushRoots();
  absl::Status SendToRoot(NodeId root, v1::Envelope& envelope);
  std::string EndpointOf(NodeId id) const;
  void ArmDeadlineTimer();
  void ArmHeartbeatTimer();

  ControllerOptions options_;
  Logger log_;
  process::SignalFd signals_;
  std::optional<transport::IpcDirectory> ipc_dir_;
  transport::Context context_;
  transport::EventLoop loop_;
  std::optional<transport::Socket> children_;
  std::string endpoint_;
  std::unique_ptr<process::WorkerPool> workers_;

  tree::Topology topology_;
  wire::PendingCalls pending_;
  health::Detector detector_;  // links to the controller's own children
  cli::AnswerOrder order_;
  int64_t heartbeat_ms_ = 0;

  std::unique_ptr<ClientEndpoint> clients_;  // with --listen

  // Operations waiting for a node that is being created, moved or removed.
  dispatch::Queue queue_{topology_};

  cli::LineReader input_;  // stdin
  bool stdin_polled_ = false;

  std::optional<transport::EventLoop::TimerId> deadline_timer_;
  absl::Time deadline_armed_ = absl::InfiniteFuture();
  std::optional<transport::EventLoop::TimerId> heartbeat_timer_;
  bool shutting_down_ = false;
  bool quiet_ = false;  // a signal: stop printing answers

  api::Stats stats_;
  transport::Frames frames_;
  std::string send_buffer_;         // what SendToRoot encodes into
  wire::ScratchEnvelope requests_;  // exec requests are built here
  // Calls sent to a root this turn, batched into one frame (wire/batch.h).
  struct RootBatch {
    wire::BatchWriter writer;
    std::vector<CallId> calls;
  };
  absl::flat_hash_map<NodeId, RootBatch> root_batches_;
  std::vector<std::pair<CallId, absl::Status>> unsent_;  // resolved by FlushRoots
  // Sends `batch` to `root` and empties it; failed calls go to unsent_.
  void SendBatch(NodeId root, RootBatch& batch);
  wire::ScratchEnvelope scratch_;  // each frame from the tree is decoded here
  wire::ScratchEnvelope inner_;    // each envelope of a batch
};

}  // namespace arbor::controller

#endif  // ARBOR_CONTROLLER_CONTROLLER_H_

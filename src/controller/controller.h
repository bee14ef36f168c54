// The controller: one event loop wiring the command line (cli/), the topology
// (tree/), the pending-call table (rpc/), the failure detector (health/) and the
// worker processes (process/). Start here to follow a request.
#ifndef ARBOR_CONTROLLER_CONTROLLER_H_
#define ARBOR_CONTROLLER_CONTROLLER_H_

#include <sys/types.h>

#include <deque>
#include <memory>
#include <optional>
#include <set>
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
#include "controller/options.h"
#include "health/detector.h"
#include "process/signals.h"
#include "process/worker_pool.h"
#include "rpc/pending_calls.h"
#include "transport/endpoints.h"
#include "transport/event_loop.h"
#include "transport/socket.h"
#include "tree/topology.h"

namespace arbor::controller {

class Controller {
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

 private:
  Controller(const ControllerOptions& options, process::SignalFd signals);
  absl::Status Setup();

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

  // ---- commands (commands.cc) ----
  void OnLine(std::string_view line);
  void Submit(uint64_t seq, cli::Command command);
  bool Blocked(uint64_t seq, const cli::Command& command) const;
  void Defer(uint64_t seq, cli::Command command);
  void PumpDeferred();
  void Execute(uint64_t seq, const cli::Command& command);
  void DoCreate(uint64_t seq, const cli::CreateCommand& create);
  void SpawnWorker(uint64_t seq, NodeId id);
  void DoExec(uint64_t seq, const cli::ExecCommand& exec);
  void DoPing(uint64_t seq, const cli::PingCommand& ping);
  void DoRemove(uint64_t seq, const cli::RemoveCommand& remove);
  void DoHeartbit(uint64_t seq, const cli::HeartbitCommand& heartbit);
  void DoTree(uint64_t seq);
  void DoStats(uint64_t seq);
  void Answer(uint64_t seq, std::vector<std::string> lines);
  void Answer(uint64_t seq, std::string line) { Answer(seq, std::vector<std::string>{std::move(line)}); }
  void ExpectReattach(NodeId id);
  bool IsBarrier(const cli::Command& command) const;

  // ---- sending ----
  // Registers a call to `target` and sends it down its route. A send that fails
  // resolves the call at once (UNAVAILABLE).
  void Call(NodeId target, v1::Envelope request, absl::Duration timeout,
            rpc::PendingCalls::Callback callback);
  absl::Status SendDown(NodeId target, v1::Envelope& envelope, absl::Time deadline);
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
  rpc::PendingCalls pending_;
  health::Detector detector_;  // links to the controller's own children
  cli::AnswerOrder order_;
  int64_t heartbeat_ms_ = 0;

  // Commands waiting for a node that is being created or re-attached.
  struct Deferred {
    uint64_t seq;
    cli::Command command;
  };
  std::deque<Deferred> deferred_;
  absl::flat_hash_map<NodeId, int> deferred_names_;  // node -> deferred commands naming it
  std::set<uint64_t> deferred_barriers_;              // deferred `tree`/`stats`
  bool pump_needed_ = false;
  bool dispatching_ = false;

  absl::flat_hash_map<NodeId, CallId> creating_calls_;   // node -> its Hello wait
  absl::flat_hash_map<NodeId, CallId> reattach_calls_;   // node -> its Hello wait
  absl::flat_hash_map<pid_t, NodeId> pid_to_node_;
  absl::flat_hash_set<NodeId> exited_while_removing_;

  cli::LineReader input_;  // stdin
  bool stdin_polled_ = false;

  std::optional<transport::EventLoop::TimerId> deadline_timer_;
  absl::Time deadline_armed_ = absl::InfiniteFuture();
  std::optional<transport::EventLoop::TimerId> heartbeat_timer_;
  bool shutting_down_ = false;
  bool quiet_ = false;  // a signal: stop printing answers

  cli::Stats stats_;
  transport::Frames frames_;
};

}  // namespace arbor::controller

#endif  // ARBOR_CONTROLLER_CONTROLLER_H_

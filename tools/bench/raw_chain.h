// The floor the bench compares Arbor with: the same number of processes and
// hops in plain libzmq (its C API), no protobuf. A client DEALER sends to a
// chain of forwarders (ROUTER front, DEALER back, zmq_proxy) ending in an echo
// (ROUTER): what an Arbor request crosses is the controller, then one worker
// per level of depth. On one host every hop is ipc; placed on hosts
// (chain_hosts.h), a hop between two is tcp, plaintext or CURVE.
#ifndef ARBOR_TOOLS_BENCH_RAW_CHAIN_H_
#define ARBOR_TOOLS_BENCH_RAW_CHAIN_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "process/child.h"
#include "tools/bench/chain_hosts.h"

namespace arbor::bench {

// Queue limits of every raw socket: far above any --in-flight, so nothing is
// dropped (a ROUTER drops silently at its limit).
inline constexpr int kRawHighWaterMark = 1 << 20;

class RawChain {
 public:
  // Spawns the processes of `plan` (forwarders, the last one the echo) by
  // re-running `self` in its raw-forward / raw-echo roles through their
  // launchers, the echo first: each binds, writes the endpoint it got on its
  // stdout, and the one before it connects there. A CURVE hop gets a server
  // and a client key pair made here, sent on the two processes' stdin. Waits
  // (at most 10 s each) for every endpoint and for one round trip across the
  // chain. The client runs in this process: plan[0] must be on its host.
  static absl::StatusOr<std::unique_ptr<RawChain>> Start(const std::string& self,
                                                         const std::vector<RawProcess>& plan,
                                                         size_t payload_bytes);
  ~RawChain();
  RawChain(const RawChain&) = delete;
  RawChain& operator=(const RawChain&) = delete;

  // `calls` round trips one at a time; the microseconds of each.
  absl::StatusOr<std::vector<double>> LockStep(int calls);
  // `calls` round trips with `in_flight` outstanding at every moment; per second.
  absl::StatusOr<double> Throughput(int calls, int in_flight);

 private:
  RawChain() = default;
  // Spawns `argv`, gives it `keys` on stdin, and returns the endpoint it
  // writes on stdout.
  absl::StatusOr<std::string> SpawnRole(const std::vector<std::string>& argv,
                                        const std::string& keys);
  absl::Status Send();
  absl::Status Receive();

  std::vector<process::Child> processes_;
  void* context_ = nullptr;
  void* client_ = nullptr;
  std::string payload_;
  std::vector<char> reply_;
};

// The roles, run by arbor-bench's main in the spawned processes: read CURVE
// keys (FormatRawKeys) from stdin until EOF, bind, write the bound endpoint
// and a newline on stdout, then serve. Each returns an exit code; they end
// with the bench (PR_SET_PDEATHSIG) or on a signal.
int RunRawForwarder(const std::string& front, const std::string& back);
int RunRawEcho(const std::string& bind);

}  // namespace arbor::bench

#endif  // ARBOR_TOOLS_BENCH_RAW_CHAIN_H_

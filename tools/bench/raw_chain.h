// The floor the bench compares Arbor with: the same number of processes and
// hops in plain libzmq (its C API), no protobuf. A client DEALER sends to a
// chain of forwarders (ROUTER front, DEALER back, zmq_proxy) ending in an echo
// (ROUTER), all over ipc: what an Arbor request crosses is the controller, then
// one worker per level of depth.
#ifndef ARBOR_TOOLS_BENCH_RAW_CHAIN_H_
#define ARBOR_TOOLS_BENCH_RAW_CHAIN_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "process/child.h"

namespace arbor::bench {

// Queue limits of every raw socket: far above any --in-flight, so nothing is
// dropped (a ROUTER drops silently at its limit).
inline constexpr int kRawHighWaterMark = 1 << 20;

class RawChain {
 public:
  // Spawns `processes` processes (processes-1 forwarders, then the echo) by
  // re-running `self` in its raw-forward / raw-echo roles, endpoints in `dir`,
  // and waits (at most 10 s) until one round trip has crossed the chain.
  static absl::StatusOr<std::unique_ptr<RawChain>> Start(const std::string& self,
                                                         const std::string& dir, int processes,
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
  absl::Status Send();
  absl::Status Receive();

  std::vector<process::Child> processes_;
  void* context_ = nullptr;
  void* client_ = nullptr;
  std::string payload_;
  std::vector<char> reply_;
};

// The roles, run by arbor-bench's main in the spawned processes. Each returns an
// exit code; they end with the bench (PR_SET_PDEATHSIG) or on a signal.
int RunRawForwarder(const std::string& front, const std::string& back);
int RunRawEcho(const std::string& bind);

}  // namespace arbor::bench

#endif  // ARBOR_TOOLS_BENCH_RAW_CHAIN_H_

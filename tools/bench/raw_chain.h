// The floor the bench compares Arbor with: the same number of processes and
// hops in plain libzmq, no protobuf. A client DEALER sends to a chain of
// forwarders (ROUTER front, DEALER back, zmq_proxy) ending in an echo (ROUTER),
// all over ipc, which is what an Arbor request crosses: the controller, then
// one worker per level of depth.
#ifndef ARBOR_TOOLS_BENCH_RAW_CHAIN_H_
#define ARBOR_TOOLS_BENCH_RAW_CHAIN_H_

#include <memory>
#include <string>
#include <vector>

#include <zmq.hpp>

#include "absl/status/statusor.h"
#include "process/child.h"

namespace arbor::bench {

class RawChain {
 public:
  // Spawns `processes` processes (processes-1 forwarders, then the echo) by
  // re-running `self` in its raw-forward / raw-echo roles, endpoints in `dir`.
  static absl::StatusOr<std::unique_ptr<RawChain>> Start(const std::string& self,
                                                         const std::string& dir, int processes);
  ~RawChain();

  // `calls` round trips one at a time; the microseconds of each.
  std::vector<double> LockStep(int calls, size_t payload_bytes);
  // `calls` round trips with `in_flight` outstanding at every moment; per second.
  double Throughput(int calls, int in_flight, size_t payload_bytes);

 private:
  RawChain() = default;
  void Send(const std::string& payload);
  void Receive();

  std::vector<process::Child> processes_;
  zmq::context_t context_{1};
  zmq::socket_t client_;
  zmq::message_t reply_;
};

// The roles, run by arbor-bench's main in the spawned processes. Each returns an
// exit code; they end with the bench (PR_SET_PDEATHSIG) or on a signal.
int RunRawForwarder(const std::string& front, const std::string& back);
int RunRawEcho(const std::string& bind);

}  // namespace arbor::bench

#endif  // ARBOR_TOOLS_BENCH_RAW_CHAIN_H_

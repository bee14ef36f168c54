// What the hostile-input process tests share (reliability, issue 5): the seed,
// random bytes, envelopes built by hand, and the check that the service goes on.
// The tests throw random bytes, multi-frame garbage and valid-but-wrong
// envelopes at the controller's client endpoint (hostile_client_process_test.cc),
// at its children's ROUTER and at a worker's children's ROUTER
// (hostile_tree_process_test.cc). No crash, the counters rise, and the service
// goes on with correct values (every decoded envelope is validated, dropped and counted, never a
// crash; a client gets an error reply where it can be addressed: docs/CLIENT_PROTOCOL.md for the
// codes a client gets back).
//
// Every random choice comes from one PRNG with a fixed seed, printed at the
// start; ARBOR_HOSTILE_SEED=<n> replays another. Nothing sleeps: replies are
// waited for with zmq_poll against deadlines, counters are read until they
// reach their bound or the deadline passes.
#ifndef ARBOR_TESTS_HARNESS_HOSTILE_INPUT_H_
#define ARBOR_TESTS_HARNESS_HOSTILE_INPUT_H_

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <future>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "arbor/v1/arbor.pb.h"
#include "client/client.h"
#include "common/ids.h"
#include "harness/client_session.h"

namespace arbor::testing::hostile {

using Code = absl::StatusCode;
using client::ControllerStats;
using client::ExecResult;
using client::NodeInfo;
using client::NodeState;

constexpr uint64_t kDefaultSeed = 0x5eed2024;

// The seed of this test: ARBOR_HOSTILE_SEED or the fixed default; printed so a
// failure can be replayed.
uint64_t TestSeed();

// ---- randomness (modulo arithmetic only: the same seed gives the same bytes
// with any standard library) ----

using Rng = std::mt19937_64;

uint64_t Uniform(Rng& rng, uint64_t lo, uint64_t hi);  // [lo, hi]

std::string RandomBytes(Rng& rng, size_t n);

// Mostly short frames, some up to 64 KiB (below ZMQ_MAXMSGSIZE, so each one is
// a frame the receiver must judge, not a dropped connection).
size_t RandomLength(Rng& rng);

// A correlation id no real call can have: the controller's own ids count up
// from 1, a client's from 1 too; these are above 2^62.
uint64_t ForeignCallId(Rng& rng);

// ---- envelopes, serialized as they are (never through wire::Encode, which
// would stamp the right version on them) ----

v1::Envelope Base(uint64_t correlation_id, NodeId target = kControllerId);

std::string Bytes(const v1::Envelope& e);

v1::Envelope Save(uint64_t correlation_id, NodeId target, const std::string& key, int64_t value);

v1::Envelope Load(uint64_t correlation_id, NodeId target, const std::string& key);

// Well-formed envelopes of every kind, for the mutator to start from.
std::vector<std::string> Specimens();

// A well-formed envelope with a few bits flipped, cut short, grown, or spliced.
std::string Mutate(Rng& rng, std::string bytes);

// ---- the service under attack ----

// The controller's private ipc directory, from a worker's `--ipc_dir=` argument
// (fine for a test: the directory is mode 0700 and ours).
std::string IpcDirOf(pid_t worker);

ControllerStats StatsOf(Client& client);

// One node of the tree as the test built it.
struct Known {
  NodeId id;
  NodeId parent;
  pid_t pid;
  int64_t value;  // under key "k"
};

// The service goes on: every process runs, the tree is as it was, every node
// answers its own value, a new save is applied and read back, ping answers.
void ExpectServiceIntact(ClientController& controller, Client& client,
                         const std::vector<Known>& nodes, int64_t salt);

// Saves made by a well-behaved client while the attack runs: each answered OK,
// and read back afterwards. `client` must outlive this.
class LiveTraffic {
 public:
  LiveTraffic(Client& client, std::vector<NodeId> targets)
      : client_(client), targets_(std::move(targets)) {}

  void Step();
  void Check();

 private:
  struct Save {
    NodeId target;
    std::string key;
    int64_t value;
    std::future<absl::StatusOr<ExecResult>> future;
  };
  Client& client_;
  std::vector<NodeId> targets_;
  std::vector<Save> saves_;
};

}  // namespace arbor::testing::hostile

#endif  // ARBOR_TESTS_HARNESS_HOSTILE_INPUT_H_

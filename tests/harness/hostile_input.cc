// The hostile-input tests' shared helpers: seed, randomness, hand-built
// envelopes, and the check that the service goes on.
#include "harness/hostile_input.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "harness/processes.h"
#include "status_matchers.h"
#include "wire/codec.h"

namespace arbor::testing::hostile {

uint64_t TestSeed() {
  uint64_t seed = kDefaultSeed;
  if (const char* env = std::getenv("ARBOR_HOSTILE_SEED")) {
    if (!absl::SimpleAtoi(env, &seed)) ADD_FAILURE() << "bad ARBOR_HOSTILE_SEED '" << env << "'";
  }
  std::cerr << "[hostile] seed " << seed << " (ARBOR_HOSTILE_SEED=" << seed << " replays it)\n";
  ::testing::Test::RecordProperty("seed", absl::StrCat(seed));
  return seed;
}

uint64_t Uniform(Rng& rng, uint64_t lo, uint64_t hi) {  // [lo, hi]
  return lo + rng() % (hi - lo + 1);
}

std::string RandomBytes(Rng& rng, size_t n) {
  std::string out(n, '\0');
  for (char& c : out) c = static_cast<char>(rng() & 0xff);
  return out;
}

size_t RandomLength(Rng& rng) {
  switch (rng() % 5) {
    case 0:
    case 1:
      return Uniform(rng, 0, 16);
    case 2:
    case 3:
      return Uniform(rng, 17, 512);
    default:
      return Uniform(rng, 513, 64 * 1024);
  }
}

uint64_t ForeignCallId(Rng& rng) { return (uint64_t{1} << 62) + rng() % (uint64_t{1} << 61); }

v1::Envelope Base(uint64_t correlation_id, NodeId target) {
  v1::Envelope e;
  e.set_version(wire::kProtocolVersion);
  e.set_correlation_id(correlation_id);
  e.set_target(target);
  return e;
}

std::string Bytes(const v1::Envelope& e) { return e.SerializeAsString(); }

v1::Envelope Save(uint64_t correlation_id, NodeId target, const std::string& key, int64_t value) {
  v1::Envelope e = Base(correlation_id, target);
  e.mutable_exec_request()->set_key(key);
  e.mutable_exec_request()->set_value(value);
  return e;
}

v1::Envelope Load(uint64_t correlation_id, NodeId target, const std::string& key) {
  v1::Envelope e = Base(correlation_id, target);
  e.mutable_exec_request()->set_key(key);
  return e;
}

std::vector<std::string> Specimens() {
  std::vector<std::string> out;
  out.push_back(Bytes(Save(11, 1, "k", 5)));
  out.push_back(Bytes(Load(12, 2, "MyVar")));
  v1::Envelope e = Base(13);
  e.mutable_create_request()->set_child_id(7);
  e.mutable_create_request()->set_parent(1);
  out.push_back(Bytes(e));
  e = Base(14, 1);
  e.mutable_hello()->set_id(1);
  e.mutable_hello()->set_pid(4242);
  e.mutable_hello()->set_endpoint("ipc:///tmp/arbor-x/1.4242");
  out.push_back(Bytes(e));
  e = Base(15, 1);
  e.mutable_reparent()->set_parent_id(2);
  e.mutable_reparent()->set_endpoint("ipc:///tmp/arbor-x/2.4243");
  out.push_back(Bytes(e));
  e = Base(16, 1);
  e.mutable_exec_reply()->set_found(true);
  e.mutable_exec_reply()->set_value(-9);
  out.push_back(Bytes(e));
  e = Base(17, 1);
  for (int i = 0; i < 3; ++i) e.mutable_batch()->add_envelopes(Bytes(Load(20 + i, 1, "k")));
  out.push_back(Bytes(e));
  e = Base(18, 1);
  e.add_route(2);
  e.add_route(3);
  e.mutable_ping_request();
  out.push_back(Bytes(e));
  return out;
}

std::string Mutate(Rng& rng, std::string bytes) {
  if (bytes.empty()) return RandomBytes(rng, Uniform(rng, 1, 8));
  switch (rng() % 4) {
    case 0:
      for (uint64_t n = Uniform(rng, 1, 4); n > 0; --n) {
        bytes[rng() % bytes.size()] ^= static_cast<char>(1u << (rng() % 8));
      }
      return bytes;
    case 1:
      return bytes.substr(0, rng() % bytes.size());
    case 2:
      return bytes.insert(rng() % (bytes.size() + 1), RandomBytes(rng, Uniform(rng, 1, 32)));
    default: {
      size_t from = rng() % bytes.size();
      return bytes + bytes.substr(from, Uniform(rng, 1, bytes.size() - from));
    }
  }
}

std::string IpcDirOf(pid_t worker) {
  std::string cmdline = ReadCmdline(worker);
  std::istringstream args(cmdline);
  std::string arg;
  while (std::getline(args, arg, '\0')) {
    if (arg.starts_with("--ipc_dir=")) return arg.substr(10);
  }
  ADD_FAILURE() << "no --ipc_dir= in the command line of " << worker;
  return "";
}

ControllerStats StatsOf(Client& client) {
  absl::StatusOr<ControllerStats> stats = Get(client.Stats());
  EXPECT_THAT(stats, IsOk());
  return stats.value_or(ControllerStats{});
}

void ExpectServiceIntact(ClientController& controller, Client& client,
                         const std::vector<Known>& nodes, int64_t salt) {
  ASSERT_TRUE(ProcessRunning(controller.arbor().pid())) << "the controller died";
  for (const Known& n : nodes) {
    EXPECT_TRUE(ProcessRunning(n.pid)) << "node " << n.id << " (pid " << n.pid << ") died";
  }
  absl::StatusOr<std::vector<NodeInfo>> tree = Get(client.Topology());
  ASSERT_THAT(tree, IsOk());
  ASSERT_EQ(tree->size(), nodes.size()) << "a node was added or lost";
  for (const Known& n : nodes) {
    auto row = std::find_if(tree->begin(), tree->end(),
                            [&](const NodeInfo& info) { return info.id == n.id; });
    ASSERT_NE(row, tree->end()) << "node " << n.id << " is gone from the topology";
    EXPECT_EQ(row->pid, n.pid) << "node " << n.id;
    EXPECT_EQ(row->parent, n.parent) << "node " << n.id;
    EXPECT_EQ(row->state, NodeState::kAvailable) << "node " << n.id;
  }
  for (const Known& n : nodes) {
    absl::StatusOr<ExecResult> loaded = Get(client.Exec(n.id, "k"));
    ASSERT_THAT(loaded, IsOk()) << "node " << n.id;
    EXPECT_TRUE(loaded->found) << "node " << n.id;
    EXPECT_EQ(loaded->value, n.value) << "node " << n.id << ": a hostile save was applied";
    std::string key = absl::StrCat("after", salt);
    EXPECT_THAT(Get(client.Exec(n.id, key, n.value + salt)), IsOk()) << "node " << n.id;
    absl::StatusOr<ExecResult> again = Get(client.Exec(n.id, key));
    ASSERT_THAT(again, IsOk()) << "node " << n.id;
    EXPECT_EQ(again->value, n.value + salt) << "node " << n.id;
    EXPECT_EQ(Get(client.Ping(n.id)).value_or(false), true) << "node " << n.id;
  }
}

void LiveTraffic::Step() {
  NodeId target = targets_[saves_.size() % targets_.size()];
  int64_t value = static_cast<int64_t>(saves_.size()) * 7 - 3;
  std::string key = absl::StrCat("live", saves_.size());
  saves_.push_back({target, key, value, client_.Exec(target, key, value)});
}

void LiveTraffic::Check() {
  for (Save& s : saves_) {
    absl::StatusOr<ExecResult> saved = Get(std::move(s.future));
    EXPECT_THAT(saved, IsOk()) << "live save " << s.key << " on " << s.target;
  }
  for (const Save& s : saves_) {
    absl::StatusOr<ExecResult> loaded = Get(client_.Exec(s.target, s.key));
    ASSERT_THAT(loaded, IsOk()) << s.key << " on " << s.target;
    EXPECT_TRUE(loaded->found) << s.key << " on " << s.target;
    EXPECT_EQ(loaded->value, s.value) << s.key << " on " << s.target;
  }
}

}  // namespace arbor::testing::hostile

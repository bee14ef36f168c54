// Writes the envelope fuzzer's seed corpus: one file per kind of frame the tree
// and the client endpoint carry, encoded by wire::Encode / wire::BatchWriter.
// Run once when the schema changes; the output is committed in
// fuzz/corpus/envelope/ (fuzz/README.md).
//   build-fuzz/fuzz/arbor_fuzz_seeds fuzz/corpus/envelope
#include <cstdio>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "arbor/v1/arbor.pb.h"
#include "wire/batch.h"
#include "wire/codec.h"

namespace arbor::fuzz {
namespace {

v1::Envelope Request(uint64_t correlation_id, int64_t target, std::vector<int64_t> route) {
  v1::Envelope e;
  e.set_version(wire::kProtocolVersion);
  e.set_correlation_id(correlation_id);
  e.set_target(target);
  e.set_budget_ms(1000);
  e.set_sent_mono_us(123456789);
  for (int64_t hop : route) e.add_route(hop);
  return e;
}

v1::Envelope Reply(uint64_t correlation_id, int64_t target) {
  v1::Envelope e;
  e.set_version(wire::kProtocolVersion);
  e.set_correlation_id(correlation_id);
  e.set_target(target);
  return e;
}

std::vector<std::pair<std::string, std::string>> Seeds() {
  std::vector<std::pair<std::string, std::string>> seeds;
  auto add = [&](std::string name, const v1::Envelope& e) {
    seeds.emplace_back(std::move(name), wire::Encode(e));
  };

  v1::Envelope exec_save = Request(7, 12, {10, 12});
  exec_save.mutable_exec_request()->set_key("MyVar");
  exec_save.mutable_exec_request()->set_value(5);
  add("exec_save", exec_save);
  v1::Envelope exec_load = Request(8, 12, {10, 12});
  exec_load.mutable_exec_request()->set_key("MyVar");
  add("exec_load", exec_load);
  v1::Envelope exec_reply = Reply(8, 12);
  exec_reply.mutable_exec_reply()->set_found(true);
  exec_reply.mutable_exec_reply()->set_value(-5);
  add("exec_reply", exec_reply);

  v1::Envelope create = Request(1, 10, {10});
  create.mutable_create_request()->set_child_id(12);
  create.mutable_create_request()->set_parent(10);
  add("create_request", create);
  v1::Envelope create_reply = Reply(1, 12);
  create_reply.mutable_create_reply()->set_id(12);
  create_reply.mutable_create_reply()->set_pid(3131);
  add("create_reply", create_reply);
  v1::Envelope hello = Reply(0, -1);
  hello.mutable_hello()->set_id(12);
  hello.mutable_hello()->set_pid(3131);
  hello.mutable_hello()->set_endpoint("ipc:///tmp/arbor-3128/12");
  hello.mutable_hello()->set_parent(10);
  hello.mutable_hello()->set_attempt(1);
  add("hello", hello);
  v1::Envelope lineage = Request(0, 12, {});
  v1::Ancestor* grandparent = lineage.mutable_lineage()->add_ancestors();
  grandparent->set_id(5);
  grandparent->set_endpoint("ipc:///tmp/arbor-3128/5");
  v1::Ancestor* controller = lineage.mutable_lineage()->add_ancestors();
  controller->set_id(-1);
  controller->set_endpoint("ipc:///tmp/arbor-3128/ctl");
  add("lineage", lineage);

  v1::Envelope remove = Request(9, 10, {10});
  remove.mutable_remove_request()->set_new_parent_id(-1);
  remove.mutable_remove_request()->set_new_parent_endpoint("ipc:///tmp/arbor-3128/ctl");
  add("remove_request", remove);
  v1::Envelope remove_reply = Reply(9, 10);
  remove_reply.mutable_remove_reply()->add_children(12);
  remove_reply.mutable_remove_reply()->add_children(13);
  add("remove_reply", remove_reply);
  v1::Envelope reparent = Request(0, 12, {});
  reparent.mutable_reparent()->set_parent_id(-1);
  reparent.mutable_reparent()->set_endpoint("ipc:///tmp/arbor-3128/ctl");
  add("reparent", reparent);

  v1::Envelope heartbeat_config = Request(0, 10, {10});
  heartbeat_config.mutable_heartbeat_config()->set_interval_ms(2000);
  add("heartbeat_config", heartbeat_config);
  v1::Envelope link_state = Reply(0, -1);
  link_state.mutable_link_state()->set_id(12);
  link_state.mutable_link_state()->set_up(false);
  link_state.mutable_link_state()->set_reporter(10);
  add("link_state", link_state);
  v1::Envelope ping = Request(10, 12, {10, 12});
  ping.mutable_ping_request();
  add("ping_request", ping);
  v1::Envelope error = Reply(10, 12);
  error.mutable_error()->set_code(14);
  error.mutable_error()->set_message("Node is unavailable");
  add("error", error);
  v1::Envelope dropped = Reply(0, -1);
  dropped.mutable_frame_dropped()->set_node(12);
  dropped.mutable_frame_dropped()->set_count(3);
  add("frame_dropped", dropped);

  // Client endpoint: a failed call's reply and a watch's confirmation have no body.
  v1::Envelope failed = Reply(42, -1);
  failed.mutable_status()->set_code(5);
  failed.mutable_status()->set_message("Not found");
  add("client_reply_failed", failed);
  v1::Envelope watch = Reply(43, -1);
  watch.mutable_status()->set_code(0);
  add("client_watch_confirmed", watch);
  v1::Envelope event = Reply(43, 12);
  event.mutable_node_event()->set_id(12);
  event.mutable_node_event()->set_kind(v1::NODE_EVENT_LOST);
  event.mutable_node_event()->set_pid(3131);
  add("client_node_event", event);
  v1::Envelope topology = Reply(44, -1);
  v1::NodeInfo* node = topology.mutable_topology_reply()->add_nodes();
  node->set_id(10);
  node->set_parent(-1);
  node->set_pid(3128);
  node->set_state(v1::NODE_STATE_AVAILABLE);
  add("client_topology_reply", topology);

  // A tree link's batch: three envelopes in one frame.
  wire::BatchWriter batch;
  batch.Add(wire::Encode(exec_save));
  batch.Add(wire::Encode(exec_load));
  batch.Add(wire::Encode(ping));
  seeds.emplace_back("batch", std::string(batch.Frame()));
  return seeds;
}

}  // namespace
}  // namespace arbor::fuzz

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  for (const auto& [name, bytes] : arbor::fuzz::Seeds()) {
    std::string path = std::string(argv[1]) + "/" + name + ".bin";
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) {
      std::fprintf(stderr, "cannot write %s\n", path.c_str());
      return 1;
    }
  }
  return 0;
}

#include "cli/backend.h"

#include <utility>

namespace arbor::cli {

namespace {
// Zero: the controller's default timeout of each kind.
constexpr absl::Duration kDefaultTimeout = absl::ZeroDuration();
}  // namespace

void LocalBackend::Dispatch(api::Order order, absl::AnyInvocable<void()> op) {
  operations_.Dispatch(std::move(order), std::move(op));
}

void LocalBackend::Create(NodeId id, NodeId parent, const std::string& host,
                          api::Done<api::CreateResult> done) {
  operations_.Create(id, parent, host, kDefaultTimeout, std::move(done));
}

void LocalBackend::Exec(NodeId id, const std::string& key, std::optional<int64_t> value,
                        api::Done<api::ExecResult> done) {
  operations_.Exec(id, key, value, kDefaultTimeout, std::move(done));
}

void LocalBackend::Ping(NodeId id, api::Done<bool> done) {
  operations_.Ping(id, kDefaultTimeout, std::move(done));
}

void LocalBackend::Remove(NodeId id, api::DoneStatus done) {
  operations_.Remove(id, kDefaultTimeout, std::move(done));
}

void LocalBackend::SetHeartbeat(int64_t interval_ms, api::DoneStatus done) {
  operations_.SetHeartbeat(interval_ms);
  done(absl::OkStatus());
}

void LocalBackend::Topology(api::Done<std::vector<api::NodeInfo>> done) {
  done(operations_.Topology());
}

void LocalBackend::Stats(api::Done<api::Stats> done) { done(operations_.Stats()); }

void LocalBackend::Hosts(api::Done<std::vector<api::HostInfo>> done) { done(operations_.Hosts()); }

void LocalBackend::Watch(absl::AnyInvocable<void(const api::NodeEvent&)> on_event) {
  operations_.Watch(std::move(on_event));
}

}  // namespace arbor::cli

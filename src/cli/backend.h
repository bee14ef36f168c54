// What the command line asks of a controller, every answer a callback: the
// core in the same process (LocalBackend, below) or a running controller's
// client endpoint (`arbor attach`). Results and status codes are those of
// api/operations.h, so one formatter (format.h) prints both the same.
#ifndef ARBOR_CLI_BACKEND_H_
#define ARBOR_CLI_BACKEND_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "api/operations.h"
#include "api/results.h"
#include "common/ids.h"

namespace arbor::cli {

class Backend {
 public:
  virtual ~Backend() = default;

  // Runs `op` now, or once `order` allows (api::Operations::Dispatch).
  virtual void Dispatch(api::Order order, absl::AnyInvocable<void()> op) = 0;
  // Each callback runs exactly once, on the session's loop, with the
  // results and codes of api::Operations (the controller's default timeouts).
  virtual void Create(NodeId id, NodeId parent, const std::string& host,
                      api::Done<api::CreateResult> done) = 0;
  virtual void Exec(NodeId id, const std::string& key, std::optional<int64_t> value,
                    api::Done<api::ExecResult> done) = 0;
  virtual void Ping(NodeId id, api::Done<bool> done) = 0;
  virtual void Remove(NodeId id, api::DoneStatus done) = 0;
  virtual void SetHeartbeat(int64_t interval_ms, api::DoneStatus done) = 0;
  virtual void Topology(api::Done<std::vector<api::NodeInfo>> done) = 0;
  virtual void Stats(api::Done<api::Stats> done) = 0;
  virtual void Hosts(api::Done<std::vector<api::HostInfo>> done) = 0;
  // Every node event from now on, in order.
  virtual void Watch(absl::AnyInvocable<void(const api::NodeEvent&)> on_event) = 0;
  // False once no new command may start (shutdown began, or the controller
  // is gone).
  virtual bool Accepting() const = 0;
};

// The core of this process: every call goes straight to `operations`, which
// must outlive it; Topology, Stats, Hosts and SetHeartbeat answer at once.
class LocalBackend : public Backend {
 public:
  explicit LocalBackend(api::Operations& operations) : operations_(operations) {}

  void Dispatch(api::Order order, absl::AnyInvocable<void()> op) override;
  void Create(NodeId id, NodeId parent, const std::string& host,
              api::Done<api::CreateResult> done) override;
  void Exec(NodeId id, const std::string& key, std::optional<int64_t> value,
            api::Done<api::ExecResult> done) override;
  void Ping(NodeId id, api::Done<bool> done) override;
  void Remove(NodeId id, api::DoneStatus done) override;
  void SetHeartbeat(int64_t interval_ms, api::DoneStatus done) override;
  void Topology(api::Done<std::vector<api::NodeInfo>> done) override;
  void Stats(api::Done<api::Stats> done) override;
  void Hosts(api::Done<std::vector<api::HostInfo>> done) override;
  void Watch(absl::AnyInvocable<void(const api::NodeEvent&)> on_event) override;
  bool Accepting() const override { return operations_.Accepting(); }

 private:
  api::Operations& operations_;
};

}  // namespace arbor::cli

#endif  // ARBOR_CLI_BACKEND_H_

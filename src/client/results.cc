#include "client/results.h"

#include "absl/strings/str_cat.h"
#include "client/reply.h"
#include "wire/convert.h"

namespace arbor::client {
namespace {

// The reply's outcome; when it is OK and `expected` is set, the body must be it.
absl::Status Outcome(const Reply& reply, v1::Envelope::BodyCase expected) {
  if (!reply.ok()) return reply.status();
  absl::Status status = ReplyStatus(*reply);
  if (!status.ok()) return status;
  if (expected != v1::Envelope::BODY_NOT_SET && reply->body_case() != expected) {
    return absl::InternalError(
        absl::StrCat("reply has body field ", reply->body_case(), ", expected ", expected));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<CreateResult> CreateResultOf(const Reply& reply) {
  absl::Status status = Outcome(reply, v1::Envelope::kCreateReply);
  if (!status.ok()) return status;
  return CreateResult{reply->create_reply().id(), reply->create_reply().pid()};
}

absl::StatusOr<ExecResult> ExecResultOf(const Reply& reply) {
  absl::Status status = Outcome(reply, v1::Envelope::kExecReply);
  if (!status.ok()) return status;
  return ExecResult{reply->exec_reply().found(), reply->exec_reply().value()};
}

absl::StatusOr<bool> PingAnsweredOf(const Reply& reply) {
  absl::Status status = Outcome(reply, v1::Envelope::kPingReply);
  if (!status.ok()) return status;
  return reply->ping_reply().answered();
}

absl::Status RemoveStatusOf(const Reply& reply) {
  return Outcome(reply, v1::Envelope::kRemoveReply);
}

absl::StatusOr<uint32_t> HeartbeatIntervalOf(const Reply& reply) {
  absl::Status status = Outcome(reply, v1::Envelope::kHeartbeatConfig);
  if (!status.ok()) return status;
  return reply->heartbeat_config().interval_ms();
}

absl::StatusOr<std::vector<NodeInfo>> TopologyOf(const Reply& reply) {
  absl::Status status = Outcome(reply, v1::Envelope::kTopologyReply);
  if (!status.ok()) return status;
  return wire::FromWire(reply->topology_reply());
}

absl::StatusOr<ControllerStats> StatsOf(const Reply& reply) {
  absl::Status status = Outcome(reply, v1::Envelope::kStatsReply);
  if (!status.ok()) return status;
  return wire::FromWire(reply->stats_reply());
}

absl::StatusOr<WatchId> WatchIdOf(const Reply& reply) {
  absl::Status status = Outcome(reply, v1::Envelope::BODY_NOT_SET);
  if (!status.ok()) return status;
  return reply->correlation_id();
}

absl::Status UnwatchStatusOf(const Reply& reply) {
  return Outcome(reply, v1::Envelope::BODY_NOT_SET);
}

NodeEvent EventOf(const v1::NodeEvent& event) { return wire::FromWire(event); }

}  // namespace arbor::client

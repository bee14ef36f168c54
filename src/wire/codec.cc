#include "wire/codec.h"

#include <google/protobuf/stubs/logging.h>

#include "absl/strings/str_cat.h"
#include "common/ids.h"
#include "wire/batch.h"
#include "wire/lineage.h"

namespace arbor::wire {
namespace {

bool IsNodeOrController(int64_t id) { return id == kControllerId || IsWorkerId(id); }

absl::Status Invalid(std::string_view what) {
  return absl::InvalidArgumentError(std::string(what));
}

absl::Status ValidateBody(const v1::Envelope& e) {
  switch (e.body_case()) {
    case v1::Envelope::BODY_NOT_SET:
      return Invalid("no body");
    case v1::Envelope::kCreateRequest:
      if (!IsWorkerId(e.create_request().child_id())) return Invalid("child id out of range");
      if (!IsNodeOrController(e.create_request().parent())) return Invalid("parent out of range");
      return absl::OkStatus();
    case v1::Envelope::kCreateReply:
      if (!IsWorkerId(e.create_reply().id())) return Invalid("id out of range");
      return absl::OkStatus();
    case v1::Envelope::kExecRequest:
      if (!IsValidKey(e.exec_request().key())) return Invalid("invalid key");
      return absl::OkStatus();
    case v1::Envelope::kRemoveRequest:
      if (!IsNodeOrController(e.remove_request().new_parent_id())) {
        return Invalid("parent id out of range");
      }
      // Empty from a client: the controller fills in the new parent.
      if (e.remove_request().new_parent_endpoint().size() > kMaxEndpointLength) {
        return Invalid("bad endpoint");
      }
      return absl::OkStatus();
    case v1::Envelope::kRemoveReply:
      for (int64_t id : e.remove_reply().children()) {
        if (!IsWorkerId(id)) return Invalid("child id out of range");
      }
      return absl::OkStatus();
    case v1::Envelope::kReparent:
      if (!IsNodeOrController(e.reparent().parent_id())) return Invalid("parent id out of range");
      if (e.reparent().endpoint().empty() || e.reparent().endpoint().size() > kMaxEndpointLength) {
        return Invalid("bad endpoint");
      }
      return absl::OkStatus();
    case v1::Envelope::kLinkState:
      if (!IsWorkerId(e.link_state().id()) || !IsNodeOrController(e.link_state().reporter())) {
        return Invalid("id out of range");
      }
      return absl::OkStatus();
    case v1::Envelope::kHello:
      if (!IsWorkerId(e.hello().id()) || !IsNodeOrController(e.hello().parent())) {
        return Invalid("id out of range");
      }
      if (e.hello().pid() <= 0) return Invalid("bad pid");
      if (e.hello().endpoint().empty() || e.hello().endpoint().size() > kMaxEndpointLength) {
        return Invalid("bad endpoint");
      }
      return absl::OkStatus();
    case v1::Envelope::kError:
      if (e.error().code() <= 0 || e.error().code() > 16) return Invalid("bad status code");
      return absl::OkStatus();
    case v1::Envelope::kBatch:
      // No honest writer sends more (wire/batch.h): a bigger one is a flood.
      if (e.batch().envelopes_size() == 0) return Invalid("empty batch");
      if (static_cast<size_t>(e.batch().envelopes_size()) > kMaxBatchCount) {
        return Invalid("batch too large");
      }
      return absl::OkStatus();
    case v1::Envelope::kLineage: {
      // Nearest first, the controller last and only last.
      const auto& chain = e.lineage().ancestors();
      // Empty: the receiver's parent is the controller.
      if (static_cast<size_t>(chain.size()) > kMaxAncestors) return Invalid("lineage too long");
      for (int i = 0; i < chain.size(); ++i) {
        bool last = i + 1 == chain.size();
        if (last ? chain[i].id() != kControllerId : !IsWorkerId(chain[i].id())) {
          return Invalid("lineage id out of range");
        }
        if (chain[i].endpoint().empty() || chain[i].endpoint().size() > kMaxEndpointLength) {
          return Invalid("bad endpoint");
        }
      }
      return absl::OkStatus();
    }
    case v1::Envelope::kFrameDropped:
      if (!IsWorkerId(e.frame_dropped().node())) return Invalid("id out of range");
      return absl::OkStatus();
    case v1::Envelope::kExecReply:
    case v1::Envelope::kPingRequest:
    case v1::Envelope::kPingReply:
    case v1::Envelope::kHeartbeatConfig:
    case v1::Envelope::kHeartbeat:
    case v1::Envelope::kShutdown:
    case v1::Envelope::kTopologyRequest:
    case v1::Envelope::kTopologyReply:
    case v1::Envelope::kStatsRequest:
    case v1::Envelope::kStatsReply:
    case v1::Envelope::kWatchRequest:
    case v1::Envelope::kUnwatchRequest:
    case v1::Envelope::kNodeEvent:
      return absl::OkStatus();
  }
  return Invalid("unknown body");
}

}  // namespace

void EncodeTo(const v1::Envelope& envelope, std::string& out) {
  out.clear();
  envelope.AppendToString(&out);
  if (envelope.version() != kProtocolVersion) {
    // Stamped without copying the message: field 1 (version, varint) appended.
    // A parser keeps the last value of a scalar field, so this one wins.
    static_assert(kProtocolVersion < 128, "one varint byte");
    out.push_back(static_cast<char>(v1::Envelope::kVersionFieldNumber << 3));
    out.push_back(static_cast<char>(kProtocolVersion));
  }
}

std::string Encode(const v1::Envelope& envelope) {
  std::string out;
  EncodeTo(envelope, out);
  return out;
}

absl::Status Validate(const v1::Envelope& e) {
  if (e.version() != kProtocolVersion) {
    return absl::FailedPreconditionError(
        absl::StrCat("protocol version ", e.version(), ", expected ", kProtocolVersion));
  }
  if (!IsNodeOrController(e.target())) return Invalid("target out of range");
  if (e.route_size() > kMaxRouteLength) return Invalid("route too long");
  for (int64_t hop : e.route()) {
    if (!IsWorkerId(hop)) return Invalid("route hop out of range");
  }
  return ValidateBody(e);
}

void SilenceParserLog() { google::protobuf::SetLogHandler(nullptr); }

absl::Status DecodeInto(std::string_view bytes, v1::Envelope& out) {
  if (!out.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    out.Clear();
    return absl::InvalidArgumentError("frame does not parse as an Envelope");
  }
  return Validate(out);
}

absl::StatusOr<v1::Envelope> Decode(std::string_view bytes) {
  v1::Envelope envelope;
  if (!envelope.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::InvalidArgumentError("frame does not parse as an Envelope");
  }
  absl::Status status = Validate(envelope);
  if (!status.ok()) return status;
  return envelope;
}

}  // namespace arbor::wire

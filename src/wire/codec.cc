#include "wire/codec.h"

#include <google/protobuf/stubs/logging.h>

#include "absl/strings/str_cat.h"
#include "common/ids.h"
#include "common/routing_token.h"
#include "wire/batch.h"
#include "wire/lineage.h"

namespace arbor::wire {
namespace {

bool IsNodeOrController(int64_t id) { return id == kControllerId || IsWorkerId(id); }

absl::Status Invalid(std::string_view what) {
  return absl::InvalidArgumentError(std::string(what));
}

absl::Status Check(bool ok, std::string_view what) { return ok ? absl::OkStatus() : Invalid(what); }

// A Z85 public key's length; its alphabet is the socket's to check.
constexpr size_t kKeyLength = 40;

// How a process is reached (v1::Ancestor): at least one endpoint, and a CURVE
// endpoint only with its key.
bool IsReach(const std::string& endpoint, const std::string& curve_endpoint,
             const std::string& key) {
  if (endpoint.empty() && curve_endpoint.empty()) return false;
  if (endpoint.size() > kMaxEndpointLength || curve_endpoint.size() > kMaxEndpointLength) {
    return false;
  }
  return curve_endpoint.empty() ? key.empty() : key.size() == kKeyLength;
}

absl::Status ValidateRemoveRequest(const v1::RemoveRequest& r) {
  if (!IsNodeOrController(r.new_parent_id())) return Invalid("parent id out of range");
  // Empty from a client: the controller fills in the new parent.
  if (r.new_parent_endpoint().empty() && r.new_parent_curve_endpoint().empty()) {
    return Check(r.new_parent_key().empty(), "bad endpoint");
  }
  return Check(IsReach(r.new_parent_endpoint(), r.new_parent_curve_endpoint(), r.new_parent_key()),
               "bad endpoint");
}

absl::Status ValidateRemoveReply(const v1::RemoveReply& r) {
  for (int64_t id : r.children()) {
    if (!IsWorkerId(id)) return Invalid("child id out of range");
  }
  return absl::OkStatus();
}

absl::Status ValidateHello(const v1::Hello& h) {
  if (!IsWorkerId(h.id()) || !IsNodeOrController(h.parent())) return Invalid("id out of range");
  if (h.pid() <= 0) return Invalid("bad pid");
  if (h.host().size() > kMaxHostName) return Invalid("host name too long");
  if (!h.public_key().empty() && h.public_key().size() != kKeyLength) return Invalid("bad key");
  return Check(h.endpoint().size() <= kMaxEndpointLength &&
                   h.curve_endpoint().size() <= kMaxEndpointLength &&
                   !(h.endpoint().empty() && h.curve_endpoint().empty()),
               "bad endpoint");
}

absl::Status ValidateBatch(const v1::Batch& b) {
  // No honest writer sends more (wire/batch.h): a bigger one is a flood.
  if (b.envelopes_size() == 0) return Invalid("empty batch");
  return Check(static_cast<size_t>(b.envelopes_size()) <= kMaxBatchCount, "batch too large");
}

absl::Status ValidateLineage(const v1::Lineage& lineage) {
  // Nearest first, the controller last and only last; empty: the receiver's
  // parent is the controller.
  const auto& chain = lineage.ancestors();
  if (static_cast<size_t>(chain.size()) > kMaxAncestors) return Invalid("lineage too long");
  for (int i = 0; i < chain.size(); ++i) {
    bool last = i + 1 == chain.size();
    if (last ? chain[i].id() != kControllerId : !IsWorkerId(chain[i].id())) {
      return Invalid("lineage id out of range");
    }
    const v1::Ancestor& a = chain[i];
    if (!IsReach(a.endpoint(), a.curve_endpoint(), a.public_key())) return Invalid("bad endpoint");
  }
  return absl::OkStatus();
}

absl::Status ValidateBody(const v1::Envelope& e) {
  switch (e.body_case()) {
    case v1::Envelope::BODY_NOT_SET:
      return Invalid("no body");
    case v1::Envelope::kCreateRequest:
      if (!IsWorkerId(e.create_request().child_id())) return Invalid("child id out of range");
      if (e.create_request().host().size() > kMaxHostName) return Invalid("host name too long");
      if (!e.create_request().child_public_key().empty() &&
          e.create_request().child_public_key().size() != kKeyLength) {
        return Invalid("bad key");
      }
      if (e.create_request().child_public_key().empty()
              ? !e.create_request().child_token().empty()
              : !IsRoutingToken(e.create_request().child_token())) {
        return Invalid("bad routing token");
      }
      return Check(IsNodeOrController(e.create_request().parent()), "parent out of range");
    case v1::Envelope::kCreateReply:
      return Check(IsWorkerId(e.create_reply().id()), "id out of range");
    case v1::Envelope::kExecRequest:
      return Check(IsValidKey(e.exec_request().key()), "invalid key");
    case v1::Envelope::kRemoveRequest:
      return ValidateRemoveRequest(e.remove_request());
    case v1::Envelope::kRemoveReply:
      return ValidateRemoveReply(e.remove_reply());
    case v1::Envelope::kReparent:
      if (!IsNodeOrController(e.reparent().parent_id())) return Invalid("parent id out of range");
      return Check(IsReach(e.reparent().endpoint(), e.reparent().curve_endpoint(),
                           e.reparent().public_key()),
                   "bad endpoint");
    case v1::Envelope::kLinkState:
      return Check(IsWorkerId(e.link_state().id()) && IsNodeOrController(e.link_state().reporter()),
                   "id out of range");
    case v1::Envelope::kHello:
      return ValidateHello(e.hello());
    case v1::Envelope::kError:
      return Check(e.error().code() > 0 && e.error().code() <= 16, "bad status code");
    case v1::Envelope::kBatch:
      return ValidateBatch(e.batch());
    case v1::Envelope::kLineage:
      return ValidateLineage(e.lineage());
    case v1::Envelope::kFrameDropped:
      return Check(IsWorkerId(e.frame_dropped().node()), "id out of range");
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

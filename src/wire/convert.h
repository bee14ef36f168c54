// The operations' plain results (api/results.h) <-> their protobuf messages:
// the one place each is copied field by field, used by the client endpoint
// (to the wire) and the C++ client (from it).
#ifndef ARBOR_WIRE_CONVERT_H_
#define ARBOR_WIRE_CONVERT_H_

#include <vector>

#include "api/results.h"
#include "arbor/v1/arbor.pb.h"

namespace arbor::wire {

// A value outside the enum (a newer peer) becomes kUnspecified.
api::NodeState FromWire(v1::NodeState state);
api::EventKind FromWire(v1::NodeEventKind kind);
v1::NodeState ToWire(api::NodeState state);
v1::NodeEventKind ToWire(api::EventKind kind);

void ToWire(const std::vector<api::NodeInfo>& nodes, v1::TopologyReply& out);
std::vector<api::NodeInfo> FromWire(const v1::TopologyReply& reply);

void ToWire(const api::Stats& stats, v1::StatsReply& out);
api::Stats FromWire(const v1::StatsReply& reply);

// `parent` travels with kAdopted only (else it reads back as the controller).
void ToWire(const api::NodeEvent& event, v1::NodeEvent& out);
api::NodeEvent FromWire(const v1::NodeEvent& event);

}  // namespace arbor::wire

#endif  // ARBOR_WIRE_CONVERT_H_

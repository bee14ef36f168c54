// A worker's ancestors beyond its parent, nearest first, ending with the
// controller: what an orphan tries, in order, to re-attach to (DESIGN §1,
// --orphans=adopt). Given at spawn as --ancestors=ID@ENDPOINT,...; kept current
// by Lineage envelopes from the parent.
#ifndef ARBOR_NODE_LINEAGE_H_
#define ARBOR_NODE_LINEAGE_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "arbor/v1/arbor.pb.h"
#include "common/ids.h"

namespace arbor::node {

struct Ancestor {
  NodeId id;
  std::string endpoint;
  bool operator==(const Ancestor&) const = default;
};

// "ID@ENDPOINT,ID@ENDPOINT"; "" for none. Endpoints must not contain ','
// (CanCarry).
std::string FormatAncestors(const std::vector<Ancestor>& chain);
// The inverse; INVALID_ARGUMENT for a malformed list, or one that does not end
// with the controller (id -1) or names it before the end.
absl::StatusOr<std::vector<Ancestor>> ParseAncestors(std::string_view text);
// True when `endpoint` can travel in an --ancestors list.
bool CanCarry(std::string_view endpoint);

// The chain beyond `new_parent` when a node moves up to it: the part of `chain`
// after it; unchanged when `new_parent` is not in it.
std::vector<Ancestor> Above(const std::vector<Ancestor>& chain, NodeId new_parent);

// Lineage <-> chain (wire validation already checked the shape).
std::vector<Ancestor> FromLineage(const v1::Lineage& lineage);
void ToLineage(const std::vector<Ancestor>& chain, v1::Lineage& out);

}  // namespace arbor::node

#endif  // ARBOR_NODE_LINEAGE_H_

// A worker's ancestors beyond its parent, nearest first, ending with the
// controller: what an orphan tries, in order, to re-attach to (README
// "Orphans"). Given at spawn as --ancestors=ID@ENDPOINT,... (see
// FormatAncestors); then sent by the
// controller in a Lineage envelope whenever it takes the worker's Hello, and by
// a parent to its children when its own chain changes.
#ifndef ARBOR_WIRE_LINEAGE_H_
#define ARBOR_WIRE_LINEAGE_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "arbor/v1/arbor.pb.h"
#include "common/ids.h"

namespace arbor::wire {

// Where a process of the tree can be reached (v1::Ancestor): `endpoint` by the
// processes of the controller's host (ipc, or loopback tcp; empty for one on
// another host), `curve_endpoint` with its Z85 `public_key` by the others
// (both empty with a single host).
struct Ancestor {
  NodeId id;
  std::string endpoint;
  std::string curve_endpoint = {};
  std::string public_key = {};
  bool operator==(const Ancestor&) const = default;
};

// How one process connects to another: `server_key` empty for a plain link.
struct Dial {
  std::string endpoint;
  std::string server_key;
};
// How a process reaches `a`: by its plain endpoint when the process is on the
// controller's host (`on_local_host`) and `a` has one — processes of one host
// link by ipc — else by its CURVE endpoint, with its key.
Dial DialFor(const Ancestor& a, bool on_local_host);

// Longest chain kept: the nearest ancestors, then the controller. An orphan
// whose 99 nearest ancestors are all dead goes to the controller; the flag stays
// far below Linux's 128 KiB per argument however deep the tree.
inline constexpr size_t kMaxAncestors = 100;

// "ID@ENDPOINT,ID@ENDPOINT"; "" for none. An ancestor with a CURVE endpoint is
// "ID:KEY:CURVE_ENDPOINT@ENDPOINT", KEY in hex (shell-safe, for launchers
// that pass the command line through a remote shell) and ENDPOINT possibly
// empty. Endpoints must not contain ',' (CanCarry), CURVE ones '@' either.
std::string FormatAncestors(const std::vector<Ancestor>& chain);
// The inverse; INVALID_ARGUMENT for a malformed list, or one that does not end
// with the controller (id -1) or names it before the end.
absl::StatusOr<std::vector<Ancestor>> ParseAncestors(std::string_view text);
// True when `endpoint` can travel in an --ancestors list.
bool CanCarry(std::string_view endpoint);

// At most kMaxAncestors: the nearest ones and the controller.
std::vector<Ancestor> Trimmed(std::vector<Ancestor> chain);
// A chain a worker `self` may adopt: it does not name `self` nor any id twice.
bool Plausible(const std::vector<Ancestor>& chain, NodeId self);

// The chain beyond `new_parent` when a node moves up to it: the part of `chain`
// after it; unchanged when `new_parent` is not in it.
std::vector<Ancestor> Above(const std::vector<Ancestor>& chain, NodeId new_parent);

// Lineage <-> chain (Validate already checked the shape).
std::vector<Ancestor> FromLineage(const v1::Lineage& lineage);
void ToLineage(const std::vector<Ancestor>& chain, v1::Lineage& out);

}  // namespace arbor::wire

#endif  // ARBOR_WIRE_LINEAGE_H_

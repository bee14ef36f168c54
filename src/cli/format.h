// (command, result) -> the exact answer line (README "The command line").
// Results are absl statuses whose codes are the wire's error codes; each
// command maps them once.
#ifndef ARBOR_CLI_FORMAT_H_
#define ARBOR_CLI_FORMAT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "api/results.h"
#include "common/ids.h"

namespace arbor::cli {

// create: pid on success; ALREADY_EXISTS, NOT_FOUND (parent), UNAVAILABLE
// (parent), FAILED_PRECONDITION (parent is a descendant), DEADLINE_EXCEEDED (no
// Hello in time), INVALID_ARGUMENT (the message is the line: "Unknown host
// 'x'"), INTERNAL (spawn failed: the message is the reason).
std::string FormatCreate(const absl::StatusOr<api::CreateResult>& created);

// exec: NOT_FOUND (no such node); UNAVAILABLE or DEADLINE_EXCEEDED (dead,
// unreachable, no answer in time).
std::string FormatExec(NodeId id, const std::string& key, bool is_save,
                       const absl::StatusOr<api::ExecResult>& result);

// ping: true answered, false did not (or known dead); NOT_FOUND: unknown id.
std::string FormatPing(const absl::StatusOr<bool>& answered);

// remove: NOT_FOUND, UNAVAILABLE or DEADLINE_EXCEEDED.
std::string FormatRemove(const absl::Status& status);

// heartbit, tree, stats or hosts when the controller did not answer (only
// `arbor attach` can see one): "Error: Controller is unavailable" for
// UNAVAILABLE, DEADLINE_EXCEEDED or CANCELLED, else "Error: <message>".
std::string FormatControllerFailure(const absl::Status& status);

std::string FormatHeartbitTransition(NodeId id, bool available);

// `tree`: one line per node (` @host` at the end of one not on local),
// `(empty)` for none.
std::vector<std::string> FormatTree(const std::vector<api::NodeInfo>& nodes);
// available, unavailable, dead, creating.
std::string StateName(api::NodeState state);

std::string FormatStats(const api::Stats& stats);

// `hosts`: `name address nodes=N`, one line per host.
std::vector<std::string> FormatHosts(const std::vector<api::HostInfo>& hosts);

}  // namespace arbor::cli

#endif  // ARBOR_CLI_FORMAT_H_

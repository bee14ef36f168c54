#include "cli/format.h"

#include "absl/strings/str_cat.h"

namespace arbor::cli {

std::string FormatCreate(const absl::StatusOr<api::CreateResult>& created) {
  if (created.ok()) return absl::StrCat("Ok: ", created->pid);
  const absl::Status& s = created.status();
  switch (s.code()) {
    case absl::StatusCode::kAlreadyExists:
      return "Error: Already exists";
    case absl::StatusCode::kNotFound:
      return "Error: Parent not found";
    case absl::StatusCode::kUnavailable:
      return "Error: Parent is unavailable";
    case absl::StatusCode::kFailedPrecondition:
      return "Error: Parent is a descendant of id";
    case absl::StatusCode::kDeadlineExceeded:
      return "Error: Worker did not start in time";
    case absl::StatusCode::kInvalidArgument:  // "Unknown host 'x'"
      return absl::StrCat("Error: ", s.message());
    default:
      return absl::StrCat("Error: Spawn failed: ", s.message());
  }
}

std::string FormatExec(NodeId id, const std::string& key, bool is_save,
                       const absl::StatusOr<api::ExecResult>& result) {
  if (result.ok()) {
    if (is_save) return absl::StrCat("Ok:", id);
    if (!result->found) return absl::StrCat("Ok:", id, ": '", key, "' not found");
    return absl::StrCat("Ok:", id, ": ", result->value);
  }
  const absl::Status& s = result.status();
  if (absl::IsNotFound(s)) return absl::StrCat("Error:", id, ": Not found");
  // Any other failure (a code a peer should not send) means no usable answer.
  return absl::StrCat("Error:", id, ": Node is unavailable");
}

std::string FormatPing(const absl::StatusOr<bool>& answered) {
  if (answered.ok()) return *answered ? "Ok: 1" : "Ok: 0";
  if (absl::IsNotFound(answered.status())) return "Error: Not found";
  return "Ok: 0";
}

std::string FormatRemove(const absl::Status& status) {
  if (status.ok()) return "Ok";
  if (absl::IsNotFound(status)) return "Error: Not found";
  return "Error: Node is unavailable";
}

std::string FormatControllerFailure(const absl::Status& status) {
  if (absl::IsUnavailable(status) || absl::IsDeadlineExceeded(status) ||
      absl::IsCancelled(status) || status.message().empty()) {
    return "Error: Controller is unavailable";
  }
  return absl::StrCat("Error: ", status.message());
}

std::string FormatHeartbitTransition(NodeId id, bool available) {
  return absl::StrCat("Heartbit: node ", id,
                      available ? " is available again" : " is unavailable now");
}

std::vector<std::string> FormatTree(const std::vector<api::NodeInfo>& nodes) {
  if (nodes.empty()) return {"(empty)"};
  std::vector<std::string> lines;
  lines.reserve(nodes.size());
  for (const api::NodeInfo& n : nodes) {
    std::string line = absl::StrCat(std::string(2 * static_cast<size_t>(n.depth), ' '), n.id,
                                    " pid ", n.pid, " ", StateName(n.state));
    if (!n.host.empty() && n.host != "local") absl::StrAppend(&line, " @", n.host);
    lines.push_back(std::move(line));
  }
  return lines;
}

std::vector<std::string> FormatHosts(const std::vector<api::HostInfo>& hosts) {
  std::vector<std::string> lines;
  lines.reserve(hosts.size());
  for (const api::HostInfo& h : hosts) {
    lines.push_back(absl::StrCat(h.name, " ", h.address, " nodes=", h.nodes));
  }
  return lines;
}

std::string StateName(api::NodeState state) {
  switch (state) {
    case api::NodeState::kAvailable:
      return "available";
    case api::NodeState::kDead:
      return "dead";
    case api::NodeState::kCreating:
      return "creating";
    default:
      return "unavailable";
  }
}

std::string FormatStats(const api::Stats& s) {
  return absl::StrCat("nodes=", s.nodes, " pending=", s.pending, " sent=", s.sent,
                      " answered=", s.answered, " timed_out=", s.timed_out,
                      " late_replies=", s.late_replies, " dropped_frames=", s.dropped_frames);
}

}  // namespace arbor::cli

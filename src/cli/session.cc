#include "cli/session.h"

#include <unistd.h>

#include <cerrno>
#include <variant>

#include "cli/format.h"

namespace arbor::cli {

Session::Session(const SessionOptions& options, Backend& backend)
    : options_(options), backend_(backend), input_(options.max_line_bytes) {
  backend_.Watch([this](const api::NodeEvent& event) { OnEvent(event); });
}

void Session::Begin() {
  if (options_.prompt) Print("> ");
}

bool Session::CanAcceptLine() const {
  if (!backend_.Accepting()) return false;
  if (options_.sync && order_.waiting() > 0) return false;
  return order_.waiting() < options_.max_in_flight;
}

bool Session::WantsInput() const {
  return options_.read_input && !input_.eof() && !input_.HasLine() && CanAcceptLine();
}

void Session::OnReadable() {
  char buffer[65536];
  ssize_t n = ::read(options_.input_fd, buffer, sizeof(buffer));
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
  if (n <= 0) {
    input_.SetEof();
    return;
  }
  input_.Append(std::string_view(buffer, static_cast<size_t>(n)));
}

void Session::ProcessLines() {
  while (CanAcceptLine()) {
    std::optional<LineReader::Line> line = input_.Next();
    if (!line) break;
    if (line->too_long) {
      Answer(order_.Add({}), "Error: Line too long");
      continue;
    }
    OnLine(line->text);
  }
}

void Session::OnLine(std::string_view line) {
  Parsed parsed = ParseLine(line);
  if (std::holds_alternative<std::monostate>(parsed)) return;
  if (auto* error = std::get_if<ParseError>(&parsed)) {
    std::vector<NodeId> nodes;
    if (error->node) nodes.push_back(*error->node);
    Answer(order_.Add(nodes), error->line);
    return;
  }
  Command command = std::get<Command>(std::move(parsed));
  if (std::holds_alternative<QuitCommand>(command)) {
    // Exactly like EOF: nothing after it is read.
    input_.Discard();
    input_.SetEof();
    return;
  }
  std::vector<NodeId> nodes = NodesOf(command);
  uint64_t seq = order_.Add(nodes);
  api::Operations::Order order;
  order.nodes.assign(nodes.begin(), nodes.end());
  order.is_remove = std::holds_alternative<RemoveCommand>(command);
  order.sequenced = true;  // no line starts before an earlier `tree` has answered
  if (std::holds_alternative<TreeCommand>(command) ||
      std::holds_alternative<StatsCommand>(command) ||
      std::holds_alternative<HostsCommand>(command)) {
    // It shows the state after every command before it.
    order.barrier = [this, seq] { return order_.oldest() == seq; };
  }
  backend_.Dispatch(std::move(order),
                       [this, seq, command = std::move(command)] { Execute(seq, command); });
}

void Session::Execute(uint64_t seq, const Command& command) {
  if (auto* c = std::get_if<CreateCommand>(&command)) {
    backend_.Create(c->id, c->parent, c->host,
                    [this, seq](absl::StatusOr<api::CreateResult> created) {
                      Answer(seq, FormatCreate(created));
                    });
  } else if (auto* c = std::get_if<ExecCommand>(&command)) {
    backend_.Exec(c->id, c->key, c->value,
                  [this, seq, id = c->id, key = c->key,
                   is_save = c->value.has_value()](absl::StatusOr<api::ExecResult> result) {
                    Answer(seq, FormatExec(id, key, is_save, result));
                  });
  } else if (auto* c = std::get_if<PingCommand>(&command)) {
    backend_.Ping(c->id,
                  [this, seq](absl::StatusOr<bool> answered) { Answer(seq, FormatPing(answered)); });
  } else if (auto* c = std::get_if<RemoveCommand>(&command)) {
    backend_.Remove(c->id, [this, seq](absl::Status done) { Answer(seq, FormatRemove(done)); });
  } else if (auto* c = std::get_if<HeartbitCommand>(&command)) {
    backend_.SetHeartbeat(c->interval_ms, [this, seq](absl::Status done) {
      Answer(seq, done.ok() ? "Ok" : FormatControllerFailure(done));
    });
  } else if (std::holds_alternative<TreeCommand>(command)) {
    backend_.Topology([this, seq](absl::StatusOr<std::vector<api::NodeInfo>> nodes) {
      if (!nodes.ok()) return Answer(seq, FormatControllerFailure(nodes.status()));
      Answer(seq, FormatTree(*nodes));
    });
  } else if (std::holds_alternative<StatsCommand>(command)) {
    backend_.Stats([this, seq](absl::StatusOr<api::Stats> stats) {
      Answer(seq, stats.ok() ? FormatStats(*stats) : FormatControllerFailure(stats.status()));
    });
  } else if (std::holds_alternative<HostsCommand>(command)) {
    backend_.Hosts([this, seq](absl::StatusOr<std::vector<api::HostInfo>> hosts) {
      if (!hosts.ok()) return Answer(seq, FormatControllerFailure(hosts.status()));
      Answer(seq, FormatHosts(*hosts));
    });
  } else if (std::holds_alternative<HelpCommand>(command)) {
    Answer(seq, HelpLines());
  }
}

void Session::Answer(uint64_t seq, std::vector<std::string> lines) {
  std::vector<std::string> ready = order_.Complete(seq, std::move(lines));
  for (const std::string& line : ready) Print(line);
  if (options_.prompt && !ready.empty() && order_.waiting() == 0 && backend_.Accepting()) {
    Print("> ");
  }
}

void Session::OnEvent(const api::NodeEvent& event) {
  if (event.kind == api::EventKind::kAvailable || event.kind == api::EventKind::kUnavailable) {
    Print(FormatHeartbitTransition(event.id, event.kind == api::EventKind::kAvailable));
  }
}

void Session::Print(const std::string& line) {
  if (quiet_) return;
  std::string out = line;
  if (line != "> ") out += '\n';
  const char* p = out.data();
  size_t left = out.size();
  while (left > 0) {
    ssize_t n = ::write(options_.output_fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // stdout closed: answers have nowhere to go
    p += n;
    left -= static_cast<size_t>(n);
  }
}

}  // namespace arbor::cli

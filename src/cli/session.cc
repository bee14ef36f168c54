#include "cli/session.h"

#include <unistd.h>

#include <cerrno>
#include <variant>

#include "cli/format.h"

namespace arbor::cli {

Session::Session(const SessionOptions& options, api::Operations& operations)
    : options_(options), operations_(operations), input_(options.max_line_bytes) {
  operations_.Watch([this](const api::NodeEvent& event) { OnEvent(event); });
}

void Session::Begin() {
  if (options_.prompt) Print("> ");
}

bool Session::CanAcceptLine() const {
  if (!operations_.Accepting()) return false;
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
  operations_.Dispatch(std::move(order),
                       [this, seq, command = std::move(command)] { Execute(seq, command); });
}

void Session::Execute(uint64_t seq, const Command& command) {
  absl::Duration defaults = absl::ZeroDuration();
  if (auto* c = std::get_if<CreateCommand>(&command)) {
    operations_.Create(c->id, c->parent, c->host, defaults,
                       [this, seq](absl::StatusOr<api::CreateResult> created) {
                         Answer(seq, FormatCreate(created));
                       });
  } else if (auto* c = std::get_if<ExecCommand>(&command)) {
    operations_.Exec(c->id, c->key, c->value, defaults,
                     [this, seq, id = c->id, key = c->key,
                      is_save = c->value.has_value()](absl::StatusOr<api::ExecResult> result) {
                       Answer(seq, FormatExec(id, key, is_save, result));
                     });
  } else if (auto* c = std::get_if<PingCommand>(&command)) {
    operations_.Ping(c->id, defaults, [this, seq](absl::StatusOr<bool> answered) {
      Answer(seq, FormatPing(answered));
    });
  } else if (auto* c = std::get_if<RemoveCommand>(&command)) {
    operations_.Remove(c->id, defaults,
                       [this, seq](absl::Status done) { Answer(seq, FormatRemove(done)); });
  } else if (auto* c = std::get_if<HeartbitCommand>(&command)) {
    operations_.SetHeartbeat(c->interval_ms);
    Answer(seq, "Ok");
  } else if (std::holds_alternative<TreeCommand>(command)) {
    Answer(seq, FormatTree(operations_.Topology()));
  } else if (std::holds_alternative<StatsCommand>(command)) {
    Answer(seq, FormatStats(operations_.Stats()));
  } else if (std::holds_alternative<HostsCommand>(command)) {
    Answer(seq, FormatHosts(operations_.Hosts()));
  } else if (std::holds_alternative<HelpCommand>(command)) {
    Answer(seq, HelpLines());
  }
}

void Session::Answer(uint64_t seq, std::vector<std::string> lines) {
  std::vector<std::string> ready = order_.Complete(seq, std::move(lines));
  for (const std::string& line : ready) Print(line);
  if (options_.prompt && !ready.empty() && order_.waiting() == 0 && operations_.Accepting()) {
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

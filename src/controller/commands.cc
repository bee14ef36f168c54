// The controller's commands: each turns a parsed line into calls on the tree and
// exactly one answer.
#include <variant>

#include "absl/strings/str_cat.h"
#include "controller/controller.h"

namespace arbor::controller {

void Controller::OnLine(std::string_view line) {
  cli::Parsed parsed = cli::ParseLine(line);
  if (std::holds_alternative<std::monostate>(parsed)) return;
  if (auto* error = std::get_if<cli::ParseError>(&parsed)) {
    std::vector<NodeId> nodes;
    if (error->node) nodes.push_back(*error->node);
    Answer(order_.Add(nodes), error->line);
    return;
  }
  cli::Command command = std::get<cli::Command>(std::move(parsed));
  if (std::holds_alternative<cli::QuitCommand>(command)) {
    // Exactly like EOF: nothing after it is read.
    input_.Discard();
    input_.SetEof();
    return;
  }
  std::vector<NodeId> nodes = cli::NodesOf(command);
  uint64_t seq = order_.Add(nodes);
  dispatch::Operation op;
  op.nodes.assign(nodes.begin(), nodes.end());
  op.is_remove = std::holds_alternative<cli::RemoveCommand>(command);
  op.sequenced = true;  // no line starts before an earlier `tree` has answered
  if (std::holds_alternative<cli::TreeCommand>(command) ||
      std::holds_alternative<cli::StatsCommand>(command)) {
    // It shows the state after every command before it.
    op.barrier = [this, seq] { return order_.oldest() == seq; };
  }
  op.run = [this, seq, command = std::move(command)] { Execute(seq, command); };
  queue_.Add(std::move(op));
}

void Controller::Dispatch(Nodes nodes, bool is_remove, absl::Time deadline,
                          absl::AnyInvocable<void()> run) {
  dispatch::Operation op;
  op.nodes = std::move(nodes);
  op.is_remove = is_remove;
  op.deadline = deadline;
  op.run = std::move(run);
  queue_.Add(std::move(op));
}

void Controller::Execute(uint64_t seq, const cli::Command& command) {
  absl::Duration defaults = absl::ZeroDuration();
  if (auto* c = std::get_if<cli::CreateCommand>(&command)) {
    Create(c->id, c->parent, defaults,
           [this, seq](absl::StatusOr<api::CreateResult> created) {
             Answer(seq, cli::FormatCreate(created));
           });
  } else if (auto* c = std::get_if<cli::ExecCommand>(&command)) {
    Exec(c->id, c->key, c->value, defaults,
         [this, seq, id = c->id, key = c->key,
          is_save = c->value.has_value()](absl::StatusOr<api::ExecResult> result) {
           Answer(seq, cli::FormatExec(id, key, is_save, result));
         });
  } else if (auto* c = std::get_if<cli::PingCommand>(&command)) {
    Ping(c->id, defaults,
         [this, seq](absl::StatusOr<bool> answered) { Answer(seq, cli::FormatPing(answered)); });
  } else if (auto* c = std::get_if<cli::RemoveCommand>(&command)) {
    Remove(c->id, defaults,
           [this, seq](absl::Status done) { Answer(seq, cli::FormatRemove(done)); });
  } else if (auto* c = std::get_if<cli::HeartbitCommand>(&command)) {
    SetHeartbeat(c->interval_ms);
    Answer(seq, "Ok");
  } else if (std::holds_alternative<cli::TreeCommand>(command)) {
    Answer(seq, cli::FormatTree(Topology()));
  } else if (std::holds_alternative<cli::StatsCommand>(command)) {
    Answer(seq, cli::FormatStats(Stats()));
  } else if (std::holds_alternative<cli::HelpCommand>(command)) {
    Answer(seq, cli::HelpLines());
  }
}

void Controller::Answer(uint64_t seq, std::vector<std::string> lines) {
  std::vector<std::string> ready = order_.Complete(seq, std::move(lines));
  for (const std::string& line : ready) Print(line);
  if (options_.prompt && !ready.empty() && order_.waiting() == 0 && !shutting_down_) Print("> ");
}

}  // namespace arbor::controller

// The controller's commands: each turns a parsed line into calls on the tree and
// exactly one answer.
#include <variant>

#include "absl/strings/str_cat.h"
#include "common/clock.h"
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
  bool barrier = std::holds_alternative<cli::TreeCommand>(command) ||
                 std::holds_alternative<cli::StatsCommand>(command);
  bool is_remove = std::holds_alternative<cli::RemoveCommand>(command);
  Enqueue(Deferred{0, Nodes(nodes.begin(), nodes.end()), is_remove,
                   barrier ? std::optional<uint64_t>(seq) : std::nullopt,
                   [this, seq, command = std::move(command)] { Execute(seq, command); }});
}

bool Controller::Blocked(const Deferred& d) const {
  const Nodes& nodes = d.nodes;
  // `tree` and `stats` show the state after every command before them, and no
  // line after them starts before they have answered (clients do not wait).
  if (d.from_cli && !deferred_barriers_.empty() && *deferred_barriers_.begin() < d.order) {
    return true;
  }
  if (d.barrier) return order_.oldest() != *d.barrier || topology_.AnyReattaching();
  // Behind an earlier operation that waits on the same node (O(1) each).
  for (NodeId id : nodes) {
    if (deferred_names_.contains(id)) return true;
  }
  for (NodeId id : nodes) {
    if (topology_.Settling(id)) return true;
    // A remove also waits for its children to settle, so `create 12 10` (or
    // `remove 12`) then `remove 10` hands 12's subtree over instead of losing it.
    if (d.is_remove && topology_.ChildrenSettling(id)) return true;
  }
  return false;
}

void Controller::Enqueue(Deferred d) {
  d.order = next_order_++;
  if (Blocked(d)) {
    Defer(std::move(d));
    return;
  }
  d.op();
}

void Controller::Dispatch(Nodes nodes, bool is_remove, absl::Time deadline,
                          absl::AnyInvocable<void()> op) {
  Enqueue(Deferred{0, Nodes(nodes.begin(), nodes.end()), is_remove, std::nullopt, std::move(op),
                   /*from_cli=*/false, deadline});
}

std::optional<absl::Time> Controller::NextDeferredDeadline() const {
  std::optional<absl::Time> next;
  for (const Deferred& d : deferred_) {
    if (d.deadline != absl::InfiniteFuture() && (!next || d.deadline < *next)) next = d.deadline;
  }
  return next;
}

void Controller::Defer(Deferred d) {
  for (NodeId id : d.nodes) ++deferred_names_[id];
  if (d.barrier) deferred_barriers_.insert(d.order);
  deferred_.push_back(std::move(d));
}

void Controller::PumpDeferred() {
  pump_needed_ = false;
  bool was_dispatching = dispatching_;
  dispatching_ = true;  // no new line may slip in between deferred ones
  std::deque<Deferred> waiting = std::move(deferred_);
  deferred_.clear();
  deferred_names_.clear();  // rebuilt from the entries that keep waiting
  deferred_barriers_.clear();
  absl::Time now = MonoNow();
  for (Deferred& d : waiting) {
    // Past its deadline it runs now, out of turn, only to answer that.
    if (d.deadline > now && Blocked(d)) {
      Defer(std::move(d));
    } else {
      d.op();
    }
  }
  dispatching_ = was_dispatching;
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
  if (!deferred_.empty()) pump_needed_ = true;
  if (options_.prompt && !ready.empty() && order_.waiting() == 0 && !shutting_down_) Print("> ");
}

}  // namespace arbor::controller

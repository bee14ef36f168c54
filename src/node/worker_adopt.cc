// Worker: orphan adoption (README "Orphans"). When the parent is gone the
// worker connects to its nearest ancestor and says Hello; it is adopted when the
// controller — having taken that Hello — sends it a Lineage through its new
// parent. A frozen ancestor (connection accepted, nothing answered), or one that
// lost the Hello while it was re-attaching itself, is skipped after
// adopt_timeout; a dead one as soon as its reconnects are refused.
#include "absl/strings/str_cat.h"
#include "node/worker.h"
#include "wire/codec.h"

namespace arbor::node {

void Worker::OnParentGone(ParentLink::Gone why) {
  if (why == ParentLink::Gone::kAuthentication && !adoption_ && !parent_->established() &&
      hellos_ == 1) {
    // The first parent we were given does not take our key, or is not who the
    // controller said: a wrong key is not a dead parent, and no ancestor would
    // do better. The controller reads the status.
    log_.Warn("authentication with node %d failed (CURVE handshake): exiting", parent_->parent());
    Exit(launch::kExitAuthenticationFailed, 0);
    return;
  }
  if (why == ParentLink::Gone::kAuthentication) {
    log_.Debug("CURVE handshake with node %d failed", parent_->parent());
  }
  if (adoption_) {  // the ancestor being tried is gone too
    log_.Debug("node %d is gone too", parent_->parent());
    TryNextAncestor();
    return;
  }
  if (!options_.args.adopt_orphans || ancestors_.empty()) {
    log_.Debug("parent %d is gone: exiting", parent_->parent());
    Exit(0, 0);
    return;
  }
  log_.Debug("parent %d is gone: re-attaching", parent_->parent());
  adoption_.emplace(Adoption{ancestors_, 0, loop_.now(), std::nullopt});
  TryNextAncestor();
}

void Worker::TryNextAncestor() {
  if (adoption_->timer) loop_.Cancel(*adoption_->timer);
  adoption_->timer.reset();
  // Batched for the dead parent: replies to calls the controller has already
  // failed, and link verdicts OnAdopted reports again.
  up_.Discard(kParentPeer);
  while (adoption_->next < adoption_->candidates.size()) {
    const wire::Ancestor& next = adoption_->candidates[adoption_->next++];
    absl::Status connected = parent_->Connect(next.id, wire::DialFor(next, OnLocalHost()), 0);
    if (!connected.ok()) {
      log_.Debug("cannot connect to node %d: %s", next.id, connected.ToString());
      continue;
    }
    log_.Debug("asking node %d to adopt us", next.id);
    parent_record_ = next;
    adoption_->since = loop_.now();
    SendHello();
    ArmAdoptTimer();
    return;
  }
  log_.Warn("no live ancestor left: exiting");
  Exit(0, 0);
}

void Worker::OnAdoptTimer() {
  adoption_->timer.reset();
  if (loop_.now() - adoption_->since >= options_.args.adopt_timeout) {
    log_.Debug("node %d did not take us in time", parent_->parent());
    TryNextAncestor();
    return;
  }
  SendHello();
  ArmAdoptTimer();
}

void Worker::ArmAdoptTimer() {
  adoption_->timer =
      loop_.ScheduleAt(loop_.now() + options_.args.adopt_timeout / 4, [this] { OnAdoptTimer(); });
}

void Worker::OnLineage(v1::Envelope& envelope) {
  if (envelope.route_size() > 0) {  // the controller's, for a node below us
    NodeId next = envelope.route(0);
    envelope.mutable_route()->erase(envelope.mutable_route()->begin());
    SendToChild(next, wire::Encode(envelope)).IgnoreError();
    return;
  }
  std::vector<wire::Ancestor> chain = wire::FromLineage(envelope.lineage());
  if (!wire::Plausible(chain, options_.args.id)) {
    CountDropped("implausible lineage");
    return;
  }
  ancestors_ = std::move(chain);
  if (envelope.target() == options_.args.id) {
    // Only the controller's answer to our Hello ends an adoption: our new
    // parent's own Lineage says nothing about whether our Hello got through.
    if (adoption_) OnAdopted();
  } else {
    // An ancestor moved: what we reported while it was orphaned may have died
    // with its old link.
    ReportAllLinks();
  }
  SendLineage();
}

void Worker::ReportAllLinks() {
  if (!detector_.enabled()) return;
  for (NodeId child : children_known_) ReportLink(child, detector_.IsUp(child));
}

void Worker::OnAdopted() {
  if (adoption_->timer) loop_.Cancel(*adoption_->timer);
  adoption_.reset();
  log_.Debug("adopted by node %d", parent_->parent());
  // A verdict sent while we had no parent went nowhere, and only changes
  // travel up: every link's is sent again (the controller ignores repeats).
  // Our subtree does the same when our Lineage reaches it.
  ReportAllLinks();
}

void Worker::SendLineage() {
  if (children_known_.empty() || !options_.args.adopt_orphans) return;
  std::vector<wire::Ancestor> theirs = {parent_record_};
  theirs.insert(theirs.end(), ancestors_.begin(), ancestors_.end());
  v1::Envelope lineage;
  lineage.set_target(options_.args.id);
  wire::ToLineage(wire::Trimmed(std::move(theirs)), *lineage.mutable_lineage());
  SendToChildren(lineage);
}

}  // namespace arbor::node

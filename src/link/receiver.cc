// link::Receiver: the one receive loop of the tree's links.
#include "link/receiver.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/strings.h"
#include "wire/batch.h"
#include "wire/codec.h"

namespace arbor::link {

absl::StatusOr<Receiver::Peer> Receiver::CheckPeer(PeerShape shape) const {
  if (shape == PeerShape::kDealer) {
    if (frames_.size() != 1) {
      return absl::InvalidArgumentError(absl::StrCat("expected 1 frame, got ", frames_.size()));
    }
    return Peer{kOnlyPeer, frames_[0]};
  }
  if (frames_.size() != 2) {
    return absl::InvalidArgumentError(
        absl::StrCat("expected 2 frames (routing id, envelope), got ", frames_.size()));
  }
  // The routing id names the sender: a DEALER sets it to its node id, over
  // CURVE followed by ".TOKEN" (transport/curve.h).
  std::string_view routing_id = frames_[0];
  std::string_view digits =
      require_user_ids_ ? routing_id.substr(0, routing_id.find('.')) : routing_id;
  int64_t id = -1;
  if (!absl::SimpleAtoi(Sv(digits), &id) || !IsWorkerId(id)) {
    return absl::InvalidArgumentError("routing id is not a worker id");
  }
  // On a CURVE link the key must be the one issued for that routing id.
  if (require_user_ids_ && user_id_ != routing_id) {
    return absl::PermissionDeniedError(absl::StrCat(
        "the key of node ", user_id_.substr(0, user_id_.find('.')), " may not speak as node ", id));
  }
  return Peer{id, frames_[1]};
}

int Receiver::Drain(ReceiveFn receive, PeerShape shape, int budget, EnvelopeFn on_envelope,
                    DropFn on_drop, StopFn stop) {
  int taken = 0;
  while (taken < budget && !stop()) {
    absl::StatusOr<bool> got = receive(frames_);
    if (!got.ok() || !*got) break;
    absl::StatusOr<Peer> peer = CheckPeer(shape);
    if (!peer.ok()) {
      ++taken;
      on_drop(kOnlyPeer, peer.status());
      continue;
    }
    NodeId from = peer->id;
    v1::Envelope& frame = frame_.Fresh();
    if (absl::Status decoded = wire::DecodeInto(peer->envelope, frame); !decoded.ok()) {
      ++taken;
      on_drop(from, decoded);
      continue;
    }
    taken += wire::Unbatch(
        frame, peer->envelope, inner_,
        [&](v1::Envelope& envelope, std::string_view bytes) { on_envelope(from, envelope, bytes); },
        [&](const absl::Status& why) { on_drop(from, why); }, stop);
  }
  return taken;
}

}  // namespace arbor::link

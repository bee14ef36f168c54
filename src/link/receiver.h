// The receiving half of a tree link: reads whole messages off a socket, checks
// their frame shape and sender, decodes and unbatches them, and hands each
// envelope on — or says why it was dropped. The one place a link's input is
// judged (the controller's and each worker's ROUTER, a worker's DEALER).
#ifndef ARBOR_LINK_RECEIVER_H_
#define ARBOR_LINK_RECEIVER_H_

#include <string>
#include <string_view>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "arbor/v1/arbor.pb.h"
#include "common/ids.h"
#include "transport/socket.h"
#include "wire/scratch.h"

namespace arbor::link {

// How a message from the link is framed.
enum class PeerShape {
  // A ROUTER's: [routing id, envelope]; the routing id is the sender's node id
  // in ASCII decimal (over CURVE followed by ".TOKEN") and must be a worker id.
  kRouter,
  // A DEALER's: [envelope], from the one peer it is connected to (kOnlyPeer).
  kDealer,
};

// The `from` of what a DEALER received, and of a ROUTER message whose sender
// could not be told.
inline constexpr NodeId kOnlyPeer = -1;

class Receiver {
 public:
  // Reads one whole message into `frames` without blocking; false when none is
  // waiting (transport::Socket::Receive, or a link whose socket may change
  // between two reads, as a worker's parent link does).
  using ReceiveFn = absl::FunctionRef<absl::StatusOr<bool>(transport::Frames&)>;
  // One envelope from `from`, valid until the next one; `bytes` is its
  // serialized form (to forward it unchanged).
  using EnvelopeFn = absl::FunctionRef<void(NodeId from, v1::Envelope&, std::string_view bytes)>;
  // One message or batch member dropped: its sender (kOnlyPeer when unknown)
  // and why (INVALID_ARGUMENT for a bad shape or sender, the codec's status for
  // bytes that do not decode or validate).
  using DropFn = absl::FunctionRef<void(NodeId from, const absl::Status& why)>;
  using StopFn = absl::FunctionRef<bool()>;

  Receiver() = default;
  Receiver(const Receiver&) = delete;
  Receiver& operator=(const Receiver&) = delete;

  // For a CURVE ROUTER whose ZAP policy (transport/zap.h) gives each accepted
  // key the routing id it was issued for ("ID.TOKEN", link/key_ring.h) as its
  // User-Id: every message's User-Id must then equal its routing id, else it is
  // dropped (PERMISSION_DENIED), and the sender is the ID part. Another valid
  // key cannot name a child's routing id without its token; even with it
  // (ROUTER_HANDOVER runs after ZAP) nothing it sends is taken. Applies to
  // Drain(Socket&, kRouter, ...).
  void RequireUserIds(bool require) { require_user_ids_ = require; }
  // With RequireUserIds: the User-Id of the message being handed on (valid
  // inside the EnvelopeFn).
  const std::string& user_id() const { return user_id_; }

  // Reads and handles messages until none is waiting, `budget` envelopes were
  // taken, or `stop()` is true (checked before each message and each batch
  // member). A message that is dropped whole takes 1 of the budget; a good one
  // as many as wire::Unbatch took from it. A receive error ends the drain.
  // Returns how many it took. The callbacks may call back into anything but
  // this Receiver.
  int Drain(ReceiveFn receive, PeerShape shape, int budget, EnvelopeFn on_envelope, DropFn on_drop,
            StopFn stop);
  int Drain(transport::Socket& socket, PeerShape shape, int budget, EnvelopeFn on_envelope,
            DropFn on_drop, StopFn stop) {
    std::string* user_id = require_user_ids_ ? &user_id_ : nullptr;  // read only when checked
    return Drain([&socket, user_id](transport::Frames& f) { return socket.Receive(f, user_id); },
                 shape, budget, on_envelope, on_drop, stop);
  }

 private:
  // The sender of frames_ and where its envelope is, or why it is refused.
  // Where a link checks who is speaking (and, with CURVE, that its key may use
  // that routing id).
  struct Peer {
    NodeId id;
    std::string_view envelope;
  };
  absl::StatusOr<Peer> CheckPeer(PeerShape shape) const;

  bool require_user_ids_ = false;
  std::string user_id_;          // of the message in frames_, when required
  transport::Frames frames_;     // each message, its buffers reused
  wire::ScratchEnvelope frame_;  // each message's envelope is decoded here
  wire::ScratchEnvelope inner_;  // each envelope of a batch
};

}  // namespace arbor::link

#endif  // ARBOR_LINK_RECEIVER_H_

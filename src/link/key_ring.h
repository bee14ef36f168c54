// The keys a process accepts on a CURVE ROUTER of the tree: for each peer that
// may connect there (a child, an orphan re-attaching), the public key the
// controller issued for its incarnation. Its ZAP policy names an accepted key's
// node, so the receiver's User-Id check (receiver.h) holds each message to it.
#ifndef ARBOR_LINK_KEY_RING_H_
#define ARBOR_LINK_KEY_RING_H_

#include <optional>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "common/ids.h"
#include "transport/zap.h"

namespace arbor::link {

class KeyRing {
 public:
  KeyRing() = default;
  KeyRing(const KeyRing&) = delete;
  KeyRing& operator=(const KeyRing&) = delete;

  // Node `id` may connect with `public_z85`; a key allowed before for `id` (an
  // older incarnation) is no longer. INVALID_ARGUMENT for a key that is not
  // Z85 or an id that is not a worker's; ALREADY_EXISTS when another node holds
  // that key (keys are per incarnation: one key, one node).
  absl::Status Allow(NodeId id, std::string_view public_z85);
  // `id` may no longer connect (removed, dead).
  void Forget(NodeId id);

  // The User-Id for a key: its node's id in decimal, or nullopt (refused).
  std::optional<std::string> UserIdFor(std::string_view public_z85) const;
  // A ZAP policy over this ring, which must outlive it.
  transport::ZapPolicy Policy() const;

  size_t size() const { return keys_.size(); }

 private:
  absl::flat_hash_map<NodeId, std::string> keys_;    // node -> its key
  absl::flat_hash_map<std::string, NodeId> owners_;  // key -> its node
};

}  // namespace arbor::link

#endif  // ARBOR_LINK_KEY_RING_H_

// The keys a process accepts on a CURVE ROUTER of the tree: for each peer that
// may connect there (a child, an orphan re-attaching), the public key the
// controller issued for its incarnation, with that incarnation's routing token
// (transport/curve.h). Its ZAP policy names an accepted key by the routing id it
// must use, "ID.TOKEN", so the receiver's User-Id check (receiver.h) holds each
// message to it, and no other key can claim that routing id.
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

  // Node `id` may connect with `public_z85` as routing id "ID.TOKEN"; a key
  // allowed before for `id` (an older incarnation) is no longer.
  // INVALID_ARGUMENT for a key that is not Z85, a token of the wrong shape or
  // an id that is not a worker's; ALREADY_EXISTS when another node holds that
  // key (keys are per incarnation: one key, one node).
  absl::Status Allow(NodeId id, std::string_view public_z85, std::string_view token);
  // `id` may no longer connect (removed, dead).
  void Forget(NodeId id);

  // The User-Id for a key: its node's routing id ("ID.TOKEN"), or nullopt
  // (refused).
  std::optional<std::string> UserIdFor(std::string_view public_z85) const;
  // The routing id `id` connects with; nullptr when it has no key here.
  const std::string* RoutingIdOf(NodeId id) const;
  // A ZAP policy over this ring, which must outlive it.
  transport::ZapPolicy Policy() const;

  size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    std::string key;
    std::string routing_id;  // "ID.TOKEN"
  };
  absl::flat_hash_map<NodeId, Entry> entries_;       // node -> its key
  absl::flat_hash_map<std::string, NodeId> owners_;  // key -> its node
};

}  // namespace arbor::link

#endif  // ARBOR_LINK_KEY_RING_H_

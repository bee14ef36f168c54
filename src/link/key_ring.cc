#include "link/key_ring.h"

#include "absl/strings/str_cat.h"
#include "transport/curve.h"

namespace arbor::link {

absl::Status KeyRing::Allow(NodeId id, std::string_view public_z85, std::string_view token) {
  if (!IsWorkerId(id)) return absl::InvalidArgumentError(absl::StrCat("not a worker id: ", id));
  if (!transport::IsZ85Key(public_z85)) {
    return absl::InvalidArgumentError(absl::StrCat("not a Z85 key for node ", id));
  }
  if (!transport::IsRoutingToken(token)) {
    return absl::InvalidArgumentError(absl::StrCat("not a routing token for node ", id));
  }
  std::string key(public_z85);
  auto owner = owners_.find(key);
  if (owner != owners_.end() && owner->second != id) {
    return absl::AlreadyExistsError(
        absl::StrCat("node ", owner->second, " holds that key, not node ", id));
  }
  Forget(id);
  owners_[key] = id;
  entries_[id] = Entry{std::move(key), transport::CurveRoutingId(id, token)};
  return absl::OkStatus();
}

void KeyRing::Forget(NodeId id) {
  auto it = entries_.find(id);
  if (it == entries_.end()) return;
  owners_.erase(it->second.key);
  entries_.erase(it);
}

std::optional<std::string> KeyRing::UserIdFor(std::string_view public_z85) const {
  auto it = owners_.find(std::string(public_z85));
  if (it == owners_.end()) return std::nullopt;
  return entries_.at(it->second).routing_id;
}

const std::string* KeyRing::RoutingIdOf(NodeId id) const {
  auto it = entries_.find(id);
  return it == entries_.end() ? nullptr : &it->second.routing_id;
}

transport::ZapPolicy KeyRing::Policy() const {
  return [this](const transport::ZapRequest& request) { return UserIdFor(request.public_z85); };
}

}  // namespace arbor::link

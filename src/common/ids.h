// Node ids, keys, and the ranges the protocol accepts.
#ifndef ARBOR_COMMON_IDS_H_
#define ARBOR_COMMON_IDS_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace arbor {

// A worker's id: 0 .. kMaxNodeId. The controller is kControllerId.
using NodeId = int64_t;
inline constexpr NodeId kControllerId = -1;
inline constexpr NodeId kMaxNodeId = 2147483647;  // 2^31 - 1

inline constexpr bool IsWorkerId(NodeId id) { return id >= 0 && id <= kMaxNodeId; }

// Controller-assigned correlation id; 0 = one-way message.
using CallId = uint64_t;

// A dictionary key: [A-Za-z0-9]{1,kMaxKeyLength}.
inline constexpr size_t kMaxKeyLength = 64;
inline constexpr bool IsValidKey(std::string_view key) {
  if (key.empty() || key.size() > kMaxKeyLength) return false;
  for (char c : key) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

// A host's name (hosts/hosts_file.h, `create ... @host`): [a-z0-9][a-z0-9.-]*,
// at most kMaxHostName characters.
inline constexpr size_t kMaxHostName = 63;
inline constexpr bool IsHostName(std::string_view name) {
  if (name.empty() || name.size() > kMaxHostName) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (i > 0 && (c == '.' || c == '-'));
    if (!ok) return false;
  }
  return true;
}

}  // namespace arbor

#endif  // ARBOR_COMMON_IDS_H_

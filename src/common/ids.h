// Node ids and the ranges the protocol accepts.
#ifndef ARBOR_COMMON_IDS_H_
#define ARBOR_COMMON_IDS_H_

#include <cstdint>

namespace arbor {

// A worker's id: 0 .. kMaxNodeId. The controller is kControllerId.
using NodeId = int64_t;
inline constexpr NodeId kControllerId = -1;
inline constexpr NodeId kMaxNodeId = 2147483647;  // 2^31 - 1

inline constexpr bool IsWorkerId(NodeId id) { return id >= 0 && id <= kMaxNodeId; }

// Controller-assigned correlation id; 0 = one-way message.
using CallId = uint64_t;

}  // namespace arbor

#endif  // ARBOR_COMMON_IDS_H_

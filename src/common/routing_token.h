// The shape of a worker incarnation's routing token (transport/curve.h makes
// them): 32 lowercase hex digits. Here, in common, so the wire codec checks it
// with the same rule as the transport.
#ifndef ARBOR_COMMON_ROUTING_TOKEN_H_
#define ARBOR_COMMON_ROUTING_TOKEN_H_

#include <algorithm>
#include <cstddef>
#include <string_view>

namespace arbor {

inline constexpr size_t kRoutingTokenLength = 32;

inline bool IsRoutingToken(std::string_view text) {
  return text.size() == kRoutingTokenLength && std::all_of(text.begin(), text.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

}  // namespace arbor

#endif  // ARBOR_COMMON_ROUTING_TOKEN_H_

// CURVE key pairs as Z85 text: made, checked, and the public half derived.
#ifndef ARBOR_TRANSPORT_CURVE_H_
#define ARBOR_TRANSPORT_CURVE_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "common/routing_token.h"

namespace arbor::transport {

// A CURVE key (32 bytes) in Z85 text.
inline constexpr size_t kZ85KeyLength = 40;

// The ZAP domains Arbor's CURVE servers announce (ZMQ_ZAP_DOMAIN): the tree's
// ROUTERs, and the client endpoint's (--client-keys).
inline constexpr char kZapDomain[] = "arbor";
inline constexpr char kClientZapDomain[] = "arbor-clients";

struct CurveKeyPair {
  std::string public_z85;  // kZ85KeyLength characters
  std::string secret_z85;  // kZ85KeyLength characters; never in argv, env or logs
};

// A fresh key pair from libsodium. FAILED_PRECONDITION when libzmq was built
// without CURVE.
absl::StatusOr<CurveKeyPair> GenerateCurveKeyPair();

// True when `text` is a Z85-encoded 32-byte key: 40 characters of the Z85
// alphabet whose every 5-character group encodes a 32-bit value.
bool IsZ85Key(std::string_view text);

// The public key of `secret_z85`. INVALID_ARGUMENT when it is not a Z85 key.
absl::StatusOr<std::string> PublicFromSecret(std::string_view secret_z85);

// A worker incarnation's routing token: 128 random bits as lowercase hex,
// issued with its key pair and as secret as its secret key. On a CURVE link the
// worker's routing id is CurveRoutingId(id, token), so a peer holding some other
// valid key cannot claim a real child's routing id (libzmq's ROUTER_HANDOVER,
// which runs after ZAP, would give it the child's link): it would need the
// token. The ZAP policy names an accepted key by that same routing id.
using ::arbor::IsRoutingToken;       // its shape (common/routing_token.h)
using ::arbor::kRoutingTokenLength;  // in hex digits

// A fresh token from the kernel's random source (getrandom(2)).
absl::StatusOr<std::string> NewRoutingToken();
// "ID.TOKEN".
std::string CurveRoutingId(int64_t id, std::string_view token);

}  // namespace arbor::transport

#endif  // ARBOR_TRANSPORT_CURVE_H_

// CURVE key pairs as Z85 text: made, checked, and the public half derived.
#ifndef ARBOR_TRANSPORT_CURVE_H_
#define ARBOR_TRANSPORT_CURVE_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

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

}  // namespace arbor::transport

#endif  // ARBOR_TRANSPORT_CURVE_H_

#include "transport/curve.h"

#include <sys/random.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/strings.h"
#include "common/z85.h"
#include "zmq.h"

namespace arbor::transport {

absl::StatusOr<CurveKeyPair> GenerateCurveKeyPair() {
  // zmq_curve_keypair writes 40 characters and a NUL into each buffer.
  char public_key[kZ85KeyLength + 1];
  char secret_key[kZ85KeyLength + 1];
  if (zmq_curve_keypair(public_key, secret_key) != 0) {
    return absl::FailedPreconditionError(std::string("zmq_curve_keypair: ") +
                                         zmq_strerror(zmq_errno()));
  }
  return CurveKeyPair{std::string(public_key, kZ85KeyLength),
                      std::string(secret_key, kZ85KeyLength)};
}

bool IsZ85Key(std::string_view text) {
  // libzmq decodes without an overflow check: Z85Decode refuses a group above
  // 2^32 - 1, which would silently wrap into some other key.
  return text.size() == kZ85KeyLength && Z85Decode(text).has_value();
}

absl::StatusOr<std::string> PublicFromSecret(std::string_view secret_z85) {
  if (!IsZ85Key(secret_z85)) return absl::InvalidArgumentError("not a Z85 CURVE key");
  char secret_key[kZ85KeyLength + 1];
  std::memcpy(secret_key, secret_z85.data(), kZ85KeyLength);
  secret_key[kZ85KeyLength] = '\0';
  char public_key[kZ85KeyLength + 1];
  if (zmq_curve_public(public_key, secret_key) != 0) {
    return absl::FailedPreconditionError(std::string("zmq_curve_public: ") +
                                         zmq_strerror(zmq_errno()));
  }
  return std::string(public_key, kZ85KeyLength);
}

absl::StatusOr<std::string> NewRoutingToken() {
  char bytes[kRoutingTokenLength / 2];
  size_t got = 0;
  while (got < sizeof bytes) {
    ssize_t n = ::getrandom(bytes + got, sizeof bytes - got, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return absl::InternalError(absl::StrCat("getrandom: ", std::strerror(errno)));
    got += static_cast<size_t>(n);
  }
  return absl::BytesToHexString(absl::string_view(bytes, sizeof bytes));
}

std::string CurveRoutingId(int64_t id, std::string_view token) {
  return absl::StrCat(id, ".", Sv(token));
}

}  // namespace arbor::transport

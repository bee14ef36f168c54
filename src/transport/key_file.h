// CURVE keys in files: the text format `arbor keygen` writes and every reader
// (the controller's --server-key and --client-keys, the clients' key options)
// accepts, and the writing of a key pair.
#ifndef ARBOR_TRANSPORT_KEY_FILE_H_
#define ARBOR_TRANSPORT_KEY_FILE_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "transport/curve.h"

namespace arbor::transport {

// A key file larger than this is refused unread (a key is 40 characters).
inline constexpr size_t kMaxKeyFileBytes = 4096;

// The one Z85 key in `text`: lines that are blank or start with '#' (after
// leading whitespace) are ignored, and so is whitespace around the key.
// INVALID_ARGUMENT, saying why, when there is no key, more than one line of
// text, or a line that is not a Z85 key.
absl::StatusOr<std::string> ParseKeyText(std::string_view text);

// ParseKeyText of the file at `path`. NOT_FOUND / PERMISSION_DENIED /
// FAILED_PRECONDITION when it cannot be read (or is larger than
// kMaxKeyFileBytes), INVALID_ARGUMENT when it holds no key; every message names
// `path`.
absl::StatusOr<std::string> ReadKeyFile(const std::string& path);

// ReadKeyFile of a secret key: also refused when `path` ends in ".pub" (a
// public key parses as a secret one, and would silently be the wrong key:
// INVALID_ARGUMENT) or the file is readable by its group or others
// (FAILED_PRECONDITION, as ssh refuses such a key).
absl::StatusOr<std::string> ReadSecretKeyFile(const std::string& path);

// A fresh key pair written as `path` (the secret key, mode 0600) and
// `path`.pub (the public key, mode 0644), each as the key and a newline. Both
// are created with O_EXCL: an existing file is never overwritten
// (ALREADY_EXISTS, naming it), and when the second cannot be made the first is
// removed again, so a failure leaves nothing behind.
absl::StatusOr<CurveKeyPair> WriteKeyPair(const std::string& path);

}  // namespace arbor::transport

#endif  // ARBOR_TRANSPORT_KEY_FILE_H_

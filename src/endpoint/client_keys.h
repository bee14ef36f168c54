// The keys of the programs a CURVE client endpoint serves (--client-keys DIR,
// like ssh's authorized_keys): read and checked at start, and the ZAP policy
// that accepts exactly them.
#ifndef ARBOR_ENDPOINT_CLIENT_KEYS_H_
#define ARBOR_ENDPOINT_CLIENT_KEYS_H_

#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "transport/zap.h"

namespace arbor::endpoint {

// Z85 public key -> the client's name (its file's name without ".pub"), which
// becomes the User-Id of its connection.
using ClientKeys = absl::flat_hash_map<std::string, std::string>;

// Every regular file in `dir` (symlinks followed) whose name does not start
// with '.' holds one client's key in transport::ParseKeyText's format
// (alice.pub, as `arbor keygen` writes it, names the client "alice").
// Subdirectories and other entries are ignored. Refused, with the file's name
// and why: a file that does not hold exactly one key, two files with the same
// key, two files naming the same client (alice and alice.pub); also a `dir`
// that cannot be read, and one with no key at all (nobody could connect).
absl::StatusOr<ClientKeys> LoadClientKeys(const std::string& dir);

// Accepts the keys in `keys` (as their names) and refuses every other.
transport::ZapPolicy ClientKeyPolicy(ClientKeys keys);

}  // namespace arbor::endpoint

#endif  // ARBOR_ENDPOINT_CLIENT_KEYS_H_

// What a program needs to reach a controller, read from the files Arbor
// writes: the endpoint file (--endpoint-file: the endpoint, and with CURVE the
// server's key) and a key pair from `arbor keygen`.
#ifndef ARBOR_CLIENT_KEYS_H_
#define ARBOR_CLIENT_KEYS_H_

#include <string>

#include "absl/status/statusor.h"
#include "client/options.h"

namespace arbor::client {

struct EndpointFile {
  std::string endpoint;           // line 1
  std::string server_public_z85;  // line 2 `curve-server-key KEY`; empty without CURVE
};

// Reads an endpoint file. NOT_FOUND when it is missing, INVALID_ARGUMENT when
// line 1 is empty or a second line is not `curve-server-key <Z85 key>`; every
// message names `path`.
absl::StatusOr<EndpointFile> ReadEndpointFile(const std::string& path);

// The keys of the secret key file `secret_key_path` (keygen's PATH; the public
// half is derived from it) and `server_public_z85`. The status of reading the
// file (its path named; transport::ReadSecretKeyFile refuses a .pub file and
// one others may read), or INVALID_ARGUMENT for a server key that is not Z85.
absl::StatusOr<CurveKeys> LoadCurveKeys(const std::string& secret_key_path,
                                        const std::string& server_public_z85);

}  // namespace arbor::client

#endif  // ARBOR_CLIENT_KEYS_H_

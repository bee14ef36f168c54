#include "client/keys.h"

#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "transport/curve.h"
#include "transport/key_file.h"

namespace arbor::client {

namespace {
constexpr char kServerKeyWord[] = "curve-server-key";
}  // namespace

absl::StatusOr<EndpointFile> ReadEndpointFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read endpoint file ", path));
  std::stringstream text;
  text << in.rdbuf();
  std::vector<std::string> lines = absl::StrSplit(text.str(), '\n', absl::SkipWhitespace());
  EndpointFile file;
  if (lines.empty() || absl::StripAsciiWhitespace(lines[0]).empty()) {
    return absl::InvalidArgumentError(absl::StrCat("endpoint file ", path, ": no endpoint in it"));
  }
  file.endpoint = std::string(absl::StripAsciiWhitespace(lines[0]));
  for (size_t i = 1; i < lines.size(); ++i) {
    std::vector<std::string> words =
        absl::StrSplit(lines[i], absl::ByAnyChar(" \t\r"), absl::SkipEmpty());
    if (words.size() != 2 || words[0] != kServerKeyWord || !transport::IsZ85Key(words[1]) ||
        !file.server_public_z85.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("endpoint file ", path, ": line ", i + 1,
                                                     " is not `", kServerKeyWord, " KEY`"));
    }
    file.server_public_z85 = words[1];
  }
  return file;
}

absl::StatusOr<CurveKeys> LoadCurveKeys(const std::string& secret_key_path,
                                        const std::string& server_public_z85) {
  absl::StatusOr<std::string> secret = transport::ReadSecretKeyFile(secret_key_path);
  if (!secret.ok()) return secret.status();
  absl::StatusOr<std::string> public_key = transport::PublicFromSecret(*secret);
  if (!public_key.ok()) return public_key.status();
  if (!transport::IsZ85Key(server_public_z85)) {
    return absl::InvalidArgumentError("the server key is not a Z85 CURVE key");
  }
  return CurveKeys{*public_key, *secret, server_public_z85};
}

}  // namespace arbor::client

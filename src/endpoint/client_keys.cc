#include "endpoint/client_keys.h"

#include <algorithm>
#include <filesystem>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "transport/key_file.h"

namespace arbor::endpoint {

absl::StatusOr<ClientKeys> LoadClientKeys(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code error;
  fs::directory_iterator entries(dir, error);
  if (error) {
    return absl::FailedPreconditionError(
        absl::StrCat("--client-keys ", dir, ": ", error.message()));
  }
  // Sorted, so that which of two clashing files is named first never varies.
  std::vector<fs::path> files;
  for (const fs::directory_entry& entry : entries) {
    std::string name = entry.path().filename().string();
    if (name.starts_with(".") || !entry.is_regular_file(error)) continue;
    files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  ClientKeys keys;
  absl::flat_hash_map<std::string, std::string> files_of_names;  // client name -> its file
  for (const fs::path& file : files) {
    absl::StatusOr<std::string> key = transport::ReadKeyFile(file.string());
    if (!key.ok())
      return absl::InvalidArgumentError(absl::StrCat("--client-keys: ", key.status().message()));
    std::string name = file.filename().string();
    if (absl::EndsWith(name, ".pub") && name.size() > 4) name.resize(name.size() - 4);
    auto [named, fresh_name] = files_of_names.emplace(name, file.string());
    if (!fresh_name) {
      return absl::InvalidArgumentError(absl::StrCat("--client-keys: ", named->second, " and ",
                                                     file.string(), " both name client '", name,
                                                     "'"));
    }
    auto [listed, fresh_key] = keys.emplace(*key, name);
    if (!fresh_key) {
      return absl::InvalidArgumentError(absl::StrCat("--client-keys: ", file.string(),
                                                     " holds the same key as ",
                                                     files_of_names[listed->second]));
    }
  }
  if (keys.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--client-keys ", dir, ": no key files in it (nobody could connect)"));
  }
  return keys;
}

transport::ZapPolicy ClientKeyPolicy(ClientKeys keys) {
  return
      [keys = std::move(keys)](const transport::ZapRequest& request) -> std::optional<std::string> {
        auto it = keys.find(request.public_z85);
        if (it == keys.end()) return std::nullopt;
        return it->second;
      };
}

}  // namespace arbor::endpoint

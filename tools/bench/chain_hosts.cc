#include "tools/bench/chain_hosts.h"

#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/z85.h"

namespace arbor::bench {
namespace {

constexpr size_t kKeyBytes = 32;

absl::Status Invalid(const std::string& why) { return absl::InvalidArgumentError(why); }

}  // namespace

absl::StatusOr<std::vector<hosts::Host>> ChainHosts(std::string_view list,
                                                    const hosts::HostsFile& file, int depth) {
  std::vector<hosts::Host> levels;
  for (absl::string_view name : absl::StrSplit(absl::string_view(list.data(), list.size()), ',')) {
    const hosts::Host* host = file.Find(std::string_view(name.data(), name.size()));
    if (host == nullptr) return Invalid(absl::StrCat("no host '", name, "' in the hosts file"));
    levels.push_back(*host);
  }
  if (static_cast<int>(levels.size()) != depth) {
    return Invalid(absl::StrCat("one host per level: ", levels.size(), " names for depth ", depth));
  }
  return levels;
}

bool CrossesHosts(const std::vector<hosts::Host>& levels) {
  std::string_view previous = hosts::kLocal;
  for (const hosts::Host& host : levels) {
    if (host.name != previous) return true;
    previous = host.name;
  }
  return false;
}

std::string FormatRawKeys(const RawKeys& keys) {
  std::string text;
  auto line = [&](const char* word, const std::string& key) {
    if (!key.empty()) absl::StrAppend(&text, word, " ", key, "\n");
  };
  line("front-secret", keys.front_secret);
  line("back-server", keys.back_server);
  line("back-public", keys.back_public);
  line("back-secret", keys.back_secret);
  return text;
}

absl::StatusOr<RawKeys> ParseRawKeys(std::string_view text) {
  RawKeys keys;
  for (absl::string_view line :
       absl::StrSplit(absl::string_view(text.data(), text.size()), '\n', absl::SkipEmpty())) {
    std::vector<absl::string_view> words = absl::StrSplit(line, ' ');
    if (words.size() != 2) return Invalid(absl::StrCat("not 'WORD KEY': '", line, "'"));
    std::string* slot = words[0] == "front-secret"  ? &keys.front_secret
                        : words[0] == "back-server" ? &keys.back_server
                        : words[0] == "back-public" ? &keys.back_public
                        : words[0] == "back-secret" ? &keys.back_secret
                                                    : nullptr;
    if (slot == nullptr) return Invalid(absl::StrCat("unknown key '", words[0], "'"));
    if (!slot->empty()) return Invalid(absl::StrCat("'", words[0], "' twice"));
    std::optional<std::string> bytes = Z85Decode(std::string_view(words[1].data(), words[1].size()));
    if (!bytes || bytes->size() != kKeyBytes) {
      return Invalid(absl::StrCat("'", words[0], "' is not a Z85 key"));
    }
    slot->assign(words[1].data(), words[1].size());
  }
  int back = !keys.back_server.empty() + !keys.back_public.empty() + !keys.back_secret.empty();
  if (back != 0 && back != 3) return Invalid("back-server, back-public and back-secret go together");
  return keys;
}

std::vector<RawProcess> PlanRawChain(const hosts::Host& client_host,
                                     const std::vector<hosts::Host>& placement,
                                     const std::string& dir, const std::string& name, bool curve) {
  std::vector<RawProcess> plan;
  const hosts::Host* upstream = &client_host;
  for (size_t k = 0; k < placement.size(); ++k) {
    const hosts::Host& host = placement[k];
    RawProcess process;
    process.launcher = host.launcher;  // none for `local`
    process.host = host.name;
    bool tcp = host.name != upstream->name;
    process.bind = tcp ? absl::StrCat("tcp://", host.address, ":*")
                       : absl::StrCat("ipc://", dir, "/raw-", name, "-", k);
    process.curve_front = tcp && curve;
    if (!plan.empty()) plan.back().curve_back = process.curve_front;
    plan.push_back(std::move(process));
    upstream = &host;
  }
  return plan;
}

}  // namespace arbor::bench

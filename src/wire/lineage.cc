#include "wire/lineage.h"

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/strings.h"
#include "common/z85.h"

namespace arbor::wire {

bool CanCarry(std::string_view endpoint) {
  return !endpoint.empty() && endpoint.find(',') == std::string_view::npos;
}

Dial DialFor(const Ancestor& a, bool on_local_host) {
  if ((on_local_host && !a.endpoint.empty()) || a.curve_endpoint.empty()) return {a.endpoint, ""};
  return {a.curve_endpoint, a.public_key};
}

std::string FormatAncestors(const std::vector<Ancestor>& chain) {
  return absl::StrJoin(chain, ",", [](std::string* out, const Ancestor& a) {
    absl::StrAppend(out, a.id);
    if (!a.curve_endpoint.empty()) {
      absl::StrAppend(out, ":", Z85ToHex(a.public_key), ":", a.curve_endpoint);
    }
    absl::StrAppend(out, "@", a.endpoint);
  });
}

absl::StatusOr<std::vector<Ancestor>> ParseAncestors(std::string_view text) {
  std::vector<Ancestor> chain;
  if (text.empty()) return chain;
  for (absl::string_view item : absl::StrSplit(Sv(text), ',')) {
    auto bad = [item] {
      return absl::InvalidArgumentError(absl::StrCat("bad ancestor '", item, "'"));
    };
    size_t at = item.find('@');
    if (at == absl::string_view::npos) return bad();
    // The head: ID, or ID:KEY:CURVE_ENDPOINT (the endpoint has ':' of its own).
    absl::string_view head = item.substr(0, at);
    Ancestor a{0, std::string(item.substr(at + 1)), "", ""};
    size_t colon = head.find(':');
    int64_t id = 0;
    if (!absl::SimpleAtoi(head.substr(0, colon), &id) || !(id == kControllerId || IsWorkerId(id))) {
      return bad();
    }
    a.id = id;
    if (colon != absl::string_view::npos) {
      absl::string_view rest = head.substr(colon + 1);
      size_t second = rest.find(':');
      if (second == absl::string_view::npos || second + 1 == rest.size()) return bad();
      std::optional<std::string> key = HexToZ85(std::string_view(rest.data(), second));
      if (!key || key->size() != 40) return bad();
      a.public_key = *std::move(key);
      a.curve_endpoint = std::string(rest.substr(second + 1));
    }
    if (a.endpoint.empty() && a.curve_endpoint.empty()) return bad();
    chain.push_back(std::move(a));
  }
  for (size_t i = 0; i < chain.size(); ++i) {
    if ((chain[i].id == kControllerId) != (i + 1 == chain.size())) {
      return absl::InvalidArgumentError("ancestors must end with the controller (-1), once");
    }
  }
  return chain;
}

std::vector<Ancestor> Trimmed(std::vector<Ancestor> chain) {
  if (chain.size() > kMaxAncestors) {
    chain.erase(chain.begin() + (kMaxAncestors - 1), chain.end() - 1);
  }
  return chain;
}

bool Plausible(const std::vector<Ancestor>& chain, NodeId self) {
  absl::flat_hash_set<NodeId> seen;
  for (const Ancestor& a : chain) {
    if (a.id == self || !seen.insert(a.id).second) return false;
  }
  return true;
}

std::vector<Ancestor> Above(const std::vector<Ancestor>& chain, NodeId new_parent) {
  auto it = std::find_if(chain.begin(), chain.end(),
                         [new_parent](const Ancestor& a) { return a.id == new_parent; });
  if (it == chain.end()) return chain;
  return std::vector<Ancestor>(it + 1, chain.end());
}

std::vector<Ancestor> FromLineage(const v1::Lineage& lineage) {
  std::vector<Ancestor> chain;
  for (const v1::Ancestor& a : lineage.ancestors()) {
    chain.push_back({a.id(), a.endpoint(), a.curve_endpoint(), a.public_key()});
  }
  return chain;
}

void ToLineage(const std::vector<Ancestor>& chain, v1::Lineage& out) {
  out.clear_ancestors();
  for (const Ancestor& a : chain) {
    v1::Ancestor* added = out.add_ancestors();
    added->set_id(a.id);
    added->set_endpoint(a.endpoint);
    added->set_curve_endpoint(a.curve_endpoint);
    added->set_public_key(a.public_key);
  }
}

}  // namespace arbor::wire

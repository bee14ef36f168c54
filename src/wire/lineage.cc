#include "wire/lineage.h"

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/strings.h"

namespace arbor::wire {

bool CanCarry(std::string_view endpoint) {
  return !endpoint.empty() && endpoint.find(',') == std::string_view::npos;
}

std::string FormatAncestors(const std::vector<Ancestor>& chain) {
  return absl::StrJoin(chain, ",", [](std::string* out, const Ancestor& a) {
    absl::StrAppend(out, a.id, "@", a.endpoint);
  });
}

absl::StatusOr<std::vector<Ancestor>> ParseAncestors(std::string_view text) {
  std::vector<Ancestor> chain;
  if (text.empty()) return chain;
  for (absl::string_view item : absl::StrSplit(Sv(text), ',')) {
    size_t at = item.find('@');
    int64_t id = 0;
    if (at == absl::string_view::npos || !absl::SimpleAtoi(item.substr(0, at), &id) ||
        !(id == kControllerId || IsWorkerId(id)) || at + 1 == item.size()) {
      return absl::InvalidArgumentError(absl::StrCat("bad ancestor '", item, "'"));
    }
    chain.push_back({id, std::string(item.substr(at + 1))});
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
  for (const v1::Ancestor& a : lineage.ancestors()) chain.push_back({a.id(), a.endpoint()});
  return chain;
}

void ToLineage(const std::vector<Ancestor>& chain, v1::Lineage& out) {
  out.clear_ancestors();
  for (const Ancestor& a : chain) {
    v1::Ancestor* added = out.add_ancestors();
    added->set_id(a.id);
    added->set_endpoint(a.endpoint);
  }
}

}  // namespace arbor::wire

// A worker's dictionary: key -> signed 64-bit value.
#ifndef ARBOR_NODE_STORE_H_
#define ARBOR_NODE_STORE_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"

namespace arbor::node {

class Store {
 public:
  // Saving overwrites.
  void Save(const std::string& key, int64_t value) { values_[key] = value; }
  std::optional<int64_t> Load(const std::string& key) const {
    auto it = values_.find(key);
    if (it == values_.end()) return std::nullopt;
    return it->second;
  }

 private:
  absl::flat_hash_map<std::string, int64_t> values_;
};

}  // namespace arbor::node

#endif  // ARBOR_NODE_STORE_H_

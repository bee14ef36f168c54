// Debian's abseil has its own absl::string_view, which std::string_view does not
// convert to: Sv() bridges the two for StrCat and friends.
#ifndef ARBOR_COMMON_STRINGS_H_
#define ARBOR_COMMON_STRINGS_H_

#include <string_view>

#include "absl/strings/string_view.h"

namespace arbor {

inline absl::string_view Sv(std::string_view s) { return absl::string_view(s.data(), s.size()); }

}  // namespace arbor

#endif  // ARBOR_COMMON_STRINGS_H_

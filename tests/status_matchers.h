// gMock matchers for absl::Status and absl::StatusOr<T>: abseil 20220623 ships
// none. EXPECT_THAT(s, IsOk()); EXPECT_THAT(s, StatusIs(absl::StatusCode::kNotFound)).
#ifndef ARBOR_TESTS_STATUS_MATCHERS_H_
#define ARBOR_TESTS_STATUS_MATCHERS_H_

#include <ostream>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"

namespace arbor::testing {

inline const absl::Status& GetStatus(const absl::Status& status) { return status; }

// absl::StatusOr<T>, rpc::Outcome: anything with a status().
template <typename T>
auto GetStatus(const T& result) -> decltype(result.status()) {
  return result.status();
}

// Matches an OK Status or a StatusOr holding a value.
MATCHER(IsOk, negation ? "is not OK" : "is OK") {
  const absl::Status& status = GetStatus(arg);
  *result_listener << "whose status is " << status;
  return status.ok();
}

// Matches a Status (or StatusOr) whose code is `code`.
MATCHER_P(StatusIs, code,
          absl::StrCat(negation ? "has a status code other than " : "has status code ",
                       absl::StatusCodeToString(code))) {
  const absl::Status& status = GetStatus(arg);
  *result_listener << "whose status is " << status;
  return status.code() == code;
}

}  // namespace arbor::testing

#endif  // ARBOR_TESTS_STATUS_MATCHERS_H_

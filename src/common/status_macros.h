// RETURN_IF_ERROR / ASSIGN_OR_RETURN: abseil 20220623 has neither.
#ifndef ARBOR_COMMON_STATUS_MACROS_H_
#define ARBOR_COMMON_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define ARBOR_CONCAT_INNER_(a, b) a##b
#define ARBOR_CONCAT_(a, b) ARBOR_CONCAT_INNER_(a, b)

#define RETURN_IF_ERROR(expr)                        \
  do {                                               \
    ::absl::Status arbor_status_ = (expr);           \
    if (!arbor_status_.ok()) return arbor_status_;   \
  } while (0)

#define ASSIGN_OR_RETURN(lhs, expr) \
  ARBOR_ASSIGN_OR_RETURN_IMPL_(ARBOR_CONCAT_(arbor_statusor_, __LINE__), lhs, expr)

#define ARBOR_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, expr) \
  auto statusor = (expr);                                  \
  if (!statusor.ok()) return statusor.status();            \
  lhs = std::move(*statusor)

#endif  // ARBOR_COMMON_STATUS_MACROS_H_

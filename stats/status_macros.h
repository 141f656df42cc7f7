// Propagation helpers for absl::Status / absl::StatusOr (the Abseil shipped with Debian 12 has none).
//   LIFT_RETURN_IF_ERROR(expr);            returns expr's status from the enclosing function when not OK.
//   LIFT_ASSIGN_OR_RETURN(auto x, expr);   binds the value of a StatusOr or returns its status.
// Header-only; usable from every layer (stats, server, clients).
#ifndef LIFT_STATS_STATUS_MACROS_H_
#define LIFT_STATS_STATUS_MACROS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define LIFT_STATUS_CONCAT_INNER_(a, b) a##b
#define LIFT_STATUS_CONCAT_(a, b) LIFT_STATUS_CONCAT_INNER_(a, b)

#define LIFT_RETURN_IF_ERROR(expr)                 \
  do {                                             \
    ::absl::Status lift_status_ = (expr);          \
    if (!lift_status_.ok()) return lift_status_;   \
  } while (false)

#define LIFT_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                \
  if (!tmp.ok()) return std::move(tmp).status();    \
  lhs = std::move(tmp).value()

#define LIFT_ASSIGN_OR_RETURN(lhs, expr) \
  LIFT_ASSIGN_OR_RETURN_IMPL_(LIFT_STATUS_CONCAT_(lift_statusor_, __LINE__), lhs, expr)

#endif  // LIFT_STATS_STATUS_MACROS_H_

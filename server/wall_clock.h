// WallClockMicros: the current time as Unix epoch microseconds, the unit every timestamp in Lift's
// protos and tables uses. Services that need a testable clock take a std::function defaulting to
// this one.
#ifndef LIFT_SERVER_WALL_CLOCK_H_
#define LIFT_SERVER_WALL_CLOCK_H_

#include <cstdint>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace lift {

inline int64_t WallClockMicros() { return absl::ToUnixMicros(absl::Now()); }

}  // namespace lift

#endif  // LIFT_SERVER_WALL_CLOCK_H_

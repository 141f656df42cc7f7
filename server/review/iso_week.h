// ISO 8601 weeks in UTC: "2026-W47" ⇄ the instant its Monday 00:00 UTC starts.
//
// An ISO week runs Monday 00:00 to the next Monday 00:00 (UTC here: exactly 604,800 s, no
// daylight saving). Week 1 of a year is the week holding that year's first Thursday (ISO 8601
// §3.2.2), so a week-year can start in late December or end in early January and has 52 or 53
// weeks. Civil-date arithmetic follows Howard Hinnant's days_from_civil / civil_from_days
// (http://howardhinnant.github.io/date_algorithms.html).
//
// Thread safety: pure functions on values.
#ifndef LIFT_SERVER_REVIEW_ISO_WEEK_H_
#define LIFT_SERVER_REVIEW_ISO_WEEK_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace lift::review {

inline constexpr int64_t kMicrosPerDay = 86'400'000'000LL;
inline constexpr int64_t kMicrosPerWeek = 7 * kMicrosPerDay;

struct IsoWeek {
  int year = 0;  // ISO week-year (may differ from the calendar year of some of its days)
  int week = 0;  // 1..52 or 53
  bool operator==(const IsoWeek& other) const {
    return year == other.year && week == other.week;
  }
};

// Days since 1970-01-01 of the civil date (proleptic Gregorian). Hinnant's days_from_civil.
int64_t DaysFromCivil(int year, int month, int day);

// Number of ISO weeks (52 or 53) of ISO week-year `year`: 53 when 28 December falls in week 53.
int WeeksInIsoYear(int year);

// Parses "YYYY-Www" (exactly four year digits, 'W', two week digits, e.g. "2026-W47").
// InvalidArgument "week must look like 2026-W47, got '...'" when malformed, or "week 53 does not
// exist in 2026" when the year has 52 weeks; years before 1970 are refused.
absl::StatusOr<IsoWeek> ParseIsoWeek(const std::string& text);

// "2026-W47" (zero-padded week).
std::string FormatIsoWeek(const IsoWeek& week);

// Monday 00:00 UTC of `week`, in Unix epoch microseconds.
int64_t WeekStartMicros(const IsoWeek& week);

// The ISO week holding the instant `micros` (Unix epoch microseconds, UTC).
IsoWeek IsoWeekOf(int64_t micros);

// The latest week that has fully ended at `now_micros` (the one before the week holding now).
IsoWeek LastCompleteWeek(int64_t now_micros);

// `week` shifted by `delta` weeks (negative = earlier), across year boundaries.
IsoWeek AddWeeks(const IsoWeek& week, int delta);

// "YYYY-MM-DD" of the UTC day holding `micros`.
std::string FormatDate(int64_t micros);

// Unix epoch microseconds of 00:00 UTC of "YYYY-MM-DD". InvalidArgument naming `field` when it is
// not a date of that form.
absl::StatusOr<int64_t> ParseDateMicros(const std::string& text, const std::string& field);

}  // namespace lift::review

#endif  // LIFT_SERVER_REVIEW_ISO_WEEK_H_

#include "server/review/iso_week.h"

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace lift::review {
namespace {

// Floor division for possibly negative numerators.
int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

struct Civil {
  int year;
  int month;
  int day;
};

// Hinnant's civil_from_days.
Civil CivilFromDays(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t y = yoe + era * 400;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const int64_t m = mp < 10 ? mp + 3 : mp - 9;
  return {static_cast<int>(y + (m <= 2)), static_cast<int>(m), static_cast<int>(d)};
}

// ISO weekday 1 (Monday) .. 7 (Sunday) of a day count; 1970-01-01 was a Thursday (4).
int IsoWeekday(int64_t days) { return static_cast<int>(((days + 3) % 7 + 7) % 7) + 1; }

// Day number of the Monday of week 1 of ISO year `year`: the Monday on or before 4 January.
int64_t Week1Monday(int year) {
  const int64_t jan4 = DaysFromCivil(year, 1, 4);
  return jan4 - (IsoWeekday(jan4) - 1);
}

}  // namespace

int64_t DaysFromCivil(int year, int month, int day) {
  const int64_t y = static_cast<int64_t>(year) - (month <= 2);
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

int WeeksInIsoYear(int year) {
  return static_cast<int>((Week1Monday(year + 1) - Week1Monday(year)) / 7);
}

absl::StatusOr<IsoWeek> ParseIsoWeek(const std::string& text) {
  auto malformed = [&] {
    return absl::InvalidArgumentError(
        absl::StrCat("week must look like 2026-W47, got '", text, "'"));
  };
  if (text.size() != 8 || text[4] != '-' || text[5] != 'W') return malformed();
  for (size_t i : {0, 1, 2, 3, 6, 7}) {
    if (text[i] < '0' || text[i] > '9') return malformed();
  }
  IsoWeek week;
  week.year = std::stoi(text.substr(0, 4));
  week.week = std::stoi(text.substr(6, 2));
  if (week.year < 1970) {
    return absl::InvalidArgumentError(absl::StrCat("week must be in 1970 or later, got '", text, "'"));
  }
  if (week.week < 1 || week.week > WeeksInIsoYear(week.year)) {
    return absl::InvalidArgumentError(absl::StrCat("week ", week.week, " does not exist in ",
                                                   week.year, " (it has ",
                                                   WeeksInIsoYear(week.year), " ISO weeks)"));
  }
  return week;
}

std::string FormatIsoWeek(const IsoWeek& week) {
  return absl::StrFormat("%04d-W%02d", week.year, week.week);
}

int64_t WeekStartMicros(const IsoWeek& week) {
  return (Week1Monday(week.year) + 7 * static_cast<int64_t>(week.week - 1)) * kMicrosPerDay;
}

IsoWeek IsoWeekOf(int64_t micros) {
  const int64_t days = FloorDiv(micros, kMicrosPerDay);
  const int64_t monday = days - (IsoWeekday(days) - 1);
  // The week-year is the calendar year of the week's Thursday.
  const int year = CivilFromDays(monday + 3).year;
  return {year, static_cast<int>((monday - Week1Monday(year)) / 7) + 1};
}

IsoWeek LastCompleteWeek(int64_t now_micros) { return AddWeeks(IsoWeekOf(now_micros), -1); }

IsoWeek AddWeeks(const IsoWeek& week, int delta) {
  return IsoWeekOf(WeekStartMicros(week) + static_cast<int64_t>(delta) * kMicrosPerWeek);
}

std::string FormatDate(int64_t micros) {
  const Civil civil = CivilFromDays(FloorDiv(micros, kMicrosPerDay));
  return absl::StrFormat("%04d-%02d-%02d", civil.year, civil.month, civil.day);
}

absl::StatusOr<int64_t> ParseDateMicros(const std::string& text, const std::string& field) {
  int year = 0, month = 0, day = 0;
  char tail = 0;
  if (text.size() != 10 || std::sscanf(text.c_str(), "%4d-%2d-%2d%c", &year, &month, &day, &tail) != 3 ||
      month < 1 || month > 12 || day < 1 || day > 31) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " must be a date YYYY-MM-DD, got '", text, "'"));
  }
  const int64_t days = DaysFromCivil(year, month, day);
  const Civil back = CivilFromDays(days);
  if (back.month != month || back.day != day) {
    return absl::InvalidArgumentError(absl::StrCat(field, " is not a calendar date: '", text, "'"));
  }
  return days * kMicrosPerDay;
}

}  // namespace lift::review

#include "clients/cpp/analyze/did_input.h"

#include <algorithm>
#include <unordered_map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "clients/cpp/analyze/csv_reader.h"

namespace lift::analyze {
namespace {

constexpr std::string_view kDidCsvExample = "unit_id,group,period,value";
constexpr size_t kPeriodsListed = 12;  // periods named in an unknown --post-from message

std::string PeriodList(const std::vector<std::string>& periods) {
  std::vector<std::string> shown(periods.begin(),
                                 periods.begin() + std::min(periods.size(), kPeriodsListed));
  std::string list = absl::StrJoin(shown, ", ");
  if (periods.size() > kPeriodsListed) {
    absl::StrAppend(&list, ", ... (", periods.size(), " in all)");
  }
  return list;
}

}  // namespace

bool IsIsoDate(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (text[i] < '0' || text[i] > '9') return false;
  }
  auto digits = [&text](size_t at, size_t count) {
    int value = 0;
    for (size_t i = at; i < at + count; ++i) value = value * 10 + (text[i] - '0');
    return value;
  };
  const int year = digits(0, 4), month = digits(5, 2), day = digits(8, 2);
  if (month < 1 || month > 12 || day < 1) return false;
  static constexpr int kDaysInMonth[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  const int days = kDaysInMonth[month - 1] + (month == 2 && leap ? 1 : 0);
  return day <= days;
}

absl::StatusOr<DidData> ReadDidCsv(std::istream& in, const std::string& source,
                                   std::string_view post_from) {
  CsvReader reader(in, source);
  if (absl::Status status = reader.ReadHeader(kDidCsvExample); !status.ok()) return status;
  size_t columns[4];
  const char* names[4] = {"unit_id", "group", "period", "value"};
  for (int i = 0; i < 4; ++i) {
    const std::optional<size_t> column = reader.Column(names[i]);
    if (!column) {
      return absl::InvalidArgumentError(absl::StrCat(
          source, " line ", reader.line(), ": missing column \"", names[i], "\" (header: ",
          absl::StrJoin(reader.header(), ","), "; expected ", std::string(kDidCsvExample), ")"));
    }
    columns[i] = *column;
  }
  const size_t unit_column = columns[0], group_column = columns[1], period_column = columns[2],
               value_column = columns[3];

  DidData data;
  data.source = source;
  std::unordered_map<std::string, size_t> unit_index;
  std::vector<bool> unit_treated;
  std::vector<int64_t> unit_first_line;
  std::unordered_map<std::string, size_t> period_index;  // label -> order of first appearance
  std::vector<std::string> fields;
  while (true) {
    auto more = reader.Next(fields);
    if (!more.ok()) return more.status();
    if (!*more) break;
    const std::string unit(TrimSpaces(fields[unit_column]));
    if (unit.empty()) return reader.FieldError(unit_column, "empty unit_id");
    const std::string_view group = TrimSpaces(fields[group_column]);
    if (group != "treatment" && group != "control") {
      return reader.FieldError(
          group_column,
          absl::StrCat("group must be treatment or control, got \"", std::string(group), "\""));
    }
    const bool treated = group == "treatment";
    const std::string period(TrimSpaces(fields[period_column]));
    if (period.empty()) return reader.FieldError(period_column, "empty period");
    const std::string_view value_text = TrimSpaces(fields[value_column]);
    if (value_text.empty()) {
      return reader.FieldError(value_column, "empty value: every row needs a number");
    }
    const std::optional<double> value = ParseNumber(value_text);
    if (!value) {
      return reader.FieldError(value_column,
                               absl::StrCat("not a number: \"", std::string(value_text), "\""));
    }

    const auto [unit_it, new_unit] = unit_index.emplace(unit, data.units.size());
    if (new_unit) {
      data.units.push_back(unit);
      unit_treated.push_back(treated);
      unit_first_line.push_back(reader.line());
    } else if (unit_treated[unit_it->second] != treated) {
      return reader.FieldError(
          group_column,
          absl::StrCat("unit \"", unit, "\" is in ",
                       unit_treated[unit_it->second] ? "treatment" : "control", " on line ",
                       unit_first_line[unit_it->second], "; a unit stays in one group"));
    }
    const auto [period_it, new_period] = period_index.emplace(period, data.periods.size());
    if (new_period) data.periods.push_back(period);
    data.observations.push_back(stats::PanelObservation{static_cast<int64_t>(unit_it->second),
                                                        static_cast<int64_t>(period_it->second),
                                                        treated, *value});
  }
  if (data.observations.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": no data rows after the header (line ", reader.line(), ")"));
  }

  // Order the periods: chronological for ISO dates, else first appearance (already so).
  data.periods_are_dates = std::all_of(data.periods.begin(), data.periods.end(),
                                       [](const std::string& label) { return IsIsoDate(label); });
  if (data.periods_are_dates) {
    std::vector<std::string> sorted = data.periods;
    std::sort(sorted.begin(), sorted.end());  // YYYY-MM-DD sorts chronologically as text
    std::vector<int64_t> rank(data.periods.size());
    for (size_t i = 0; i < data.periods.size(); ++i) {
      rank[i] = std::lower_bound(sorted.begin(), sorted.end(), data.periods[i]) - sorted.begin();
    }
    for (stats::PanelObservation& observation : data.observations) {
      observation.period = rank[observation.period];
    }
    data.periods = std::move(sorted);
  }

  // Resolve --post-from.
  const std::string wanted(TrimSpaces(post_from));
  auto exact = std::find(data.periods.begin(), data.periods.end(), wanted);
  if (exact != data.periods.end()) {
    data.first_post_period = exact - data.periods.begin();
  } else if (data.periods_are_dates && IsIsoDate(wanted)) {
    auto next = std::lower_bound(data.periods.begin(), data.periods.end(), wanted);
    if (next == data.periods.end()) {
      return absl::InvalidArgumentError(absl::StrCat("--post-from ", wanted,
                                                     " leaves no post-period: the last period in ",
                                                     source, " is ", data.periods.back()));
    }
    data.first_post_period = next - data.periods.begin();
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("--post-from \"", wanted, "\" is not a period in ", source,
                     " (periods in order: ", PeriodList(data.periods), ")"));
  }
  if (data.first_post_period == 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--post-from ", wanted, " leaves no pre-period: the first period in ", source, " is ",
        data.periods.front(), " (periods in order: ", PeriodList(data.periods), ")"));
  }
  return data;
}

}  // namespace lift::analyze

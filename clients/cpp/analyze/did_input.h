// Input of `liftctl analyze did`: a panel CSV turned into stats::PanelObservation rows.
//
// Columns (case-insensitive, any order, extra columns ignored): unit_id, group (treatment or
// control), period, value. Periods are ordered by their first appearance in the file, unless every
// period is an ISO date (YYYY-MM-DD), in which case they are ordered chronologically.
// `--post-from PERIOD` names the first post-treatment period; with ISO dates it may also be any
// date, and the first period on or after it is used.
// Errors are InvalidArgument naming the source, line and column (see csv_reader.h), or the
// --post-from value. Pure parsing; no global state.
#ifndef LIFT_CLIENTS_CPP_ANALYZE_DID_INPUT_H_
#define LIFT_CLIENTS_CPP_ANALYZE_DID_INPUT_H_

#include <cstdint>
#include <istream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "stats/diff_in_diff.h"

namespace lift::analyze {

struct DidData {
  std::string source;
  // One per data row; `period` is the index into `periods`, `unit` the index into `units`.
  std::vector<stats::PanelObservation> observations;
  std::vector<std::string> periods;  // labels in analysis order
  std::vector<std::string> units;    // unit ids in file order
  bool periods_are_dates = false;    // every label is an ISO date: chronological order
  int64_t first_post_period = 0;     // index of the first post period
};

// Reads the panel and resolves `post_from` (see the file comment). InvalidArgument for a missing
// column, an empty or non-numeric value, a group other than treatment/control, a unit whose group
// changes, an empty file, or a --post-from that is unknown or leaves no pre- or no post-period.
absl::StatusOr<DidData> ReadDidCsv(std::istream& in, const std::string& source,
                                   std::string_view post_from);

// True for a valid calendar date written YYYY-MM-DD.
bool IsIsoDate(std::string_view text);

}  // namespace lift::analyze

#endif  // LIFT_CLIENTS_CPP_ANALYZE_DID_INPUT_H_

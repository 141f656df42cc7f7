// Inputs of `liftctl analyze ab`: unit-level CSV rows or a JSON file of sufficient statistics,
// turned into a stats::AbAnalysisInput.
//
// CSV (one row per unit; column names case-insensitive, any order, extra columns ignored):
//   variant                    required; the arm's name
//   unit_id                    optional; when present a unit may appear only once
//   value                      a mean or 0/1 metric's per-unit value
//   pre_value                  optional pre-period value of the same unit (CUPED covariate)
//   numerator, denominator     a ratio metric's per-unit numerator and denominator
//   pre_numerator, pre_denominator  optional pre-period pair (CUPED for ratio metrics)
// Kind: as given, else inferred: a `value` column gives `proportion` when every value is 0 or 1
// and `mean` otherwise; without `value`, `numerator` + `denominator` give `ratio`.
// Variants keep the order in which they first appear.
//
// JSON: {"kind": "mean" | "proportion" | "ratio", "variants": [{"name": ..., <sums>}, ...]}
//   mean        n, sum, sum_sq                 (+ sum_x, sum_x2, sum_xy for CUPED)
//   proportion  n, sum (successes), sum_sq optional (= sum)   (+ the same covariate sums)
//   ratio       n, sum_num, sum_num_sq, sum_den, sum_den_sq, sum_num_den
//               (+ for CUPED: "pre": {the same five sums}, and sum_num_post_num_pre,
//                sum_den_post_den_pre, sum_num_post_den_pre, sum_den_post_num_pre)
// A covariate is used when every variant has it; some but not all is an error.
//
// Errors are InvalidArgument naming the source and the line and column (CSV) or the JSON path,
// e.g. "data.csv line 7, column 3 (value): not a number: \"abc\"". Pure parsing; no global state.
#ifndef LIFT_CLIENTS_CPP_ANALYZE_AB_INPUT_H_
#define LIFT_CLIENTS_CPP_ANALYZE_AB_INPUT_H_

#include <cstdint>
#include <istream>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "stats/ab_analysis.h"

namespace lift::analyze {

struct AbReadOptions {
  std::optional<stats::MetricKind> kind;  // nullopt: infer (CSV) or take the file's (JSON)
  bool use_covariate = true;              // false: ignore pre-period columns / sums
};

// What was read: the analysis input (control_index 0 until ChooseControl) and its provenance.
struct AbData {
  stats::AbAnalysisInput input;
  std::string source;          // file name used in messages
  bool kind_inferred = false;  // the kind came from the data, not from --kind or the file
  int64_t rows = 0;            // CSV data rows (0 for JSON)
};

// Reads unit-level CSV rows (see the file comment).
absl::StatusOr<AbData> ReadAbCsv(std::istream& in, const std::string& source,
                                 const AbReadOptions& options);

// Reads a JSON document of sufficient statistics (see the file comment). With options.kind set
// and the file's "kind" different, InvalidArgument.
absl::StatusOr<AbData> ReadAbStatsJson(std::istream& in, const std::string& source,
                                       const AbReadOptions& options);

// Sets input.control_index: the variant named `control_name` when given (InvalidArgument listing
// the variants when there is none), else the variant named "control", else the first.
absl::Status ChooseControl(const std::optional<std::string>& control_name, AbData& data);

// Parses "--weights control=0.5,treatment=0.5" (names with positive finite weights, in any order).
// InvalidArgument "--weights ..." on bad syntax, a repeated name or a weight that is not > 0.
absl::StatusOr<std::vector<std::pair<std::string, double>>> ParseWeights(std::string_view text);

// Sets input.weights in variant order. InvalidArgument when a weight names no variant of the file
// or a variant has no weight.
absl::Status ApplyWeights(const std::vector<std::pair<std::string, double>>& weights, AbData& data);

}  // namespace lift::analyze

#endif  // LIFT_CLIENTS_CPP_ANALYZE_AB_INPUT_H_

// The CSV reader shared by `liftctl analyze` and `liftctl ingest` (clients/cpp/analyze/
// csv_reader.h), on its own: header, records, quoting, line numbers, ParseNumber.
// Properties: errors are InvalidArgument naming the source; every record has one field per header
// column; record lines never go backwards; every header column is found by its name; ParseNumber
// gives only finite numbers and ignores surrounding spaces.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "clients/cpp/analyze/csv_reader.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

void CheckError(const absl::Status& status) {
  LIFT_FUZZ_CHECK(absl::IsInvalidArgument(status));
  LIFT_FUZZ_CHECK(absl::StartsWith(status.message(), "input.csv"));
}

void CheckNumber(const std::string& field) {
  const std::optional<double> number = lift::analyze::ParseNumber(field);
  if (!number.has_value()) return;
  LIFT_FUZZ_CHECK(std::isfinite(*number));
  LIFT_FUZZ_CHECK(lift::analyze::ParseNumber(" " + field + "\t") == number);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::istringstream in(std::string(lift::fuzz::AsText(data, size)));
  lift::analyze::CsvReader reader(in, "input.csv");
  if (absl::Status header = reader.ReadHeader("variant,value"); !header.ok()) {
    CheckError(header);
    return 0;
  }
  const std::vector<std::string> header = reader.header();
  LIFT_FUZZ_CHECK(!header.empty());
  for (size_t i = 0; i < header.size(); ++i) {
    const std::optional<size_t> column = reader.Column(header[i]);
    LIFT_FUZZ_CHECK(column.has_value() && *column == i);
  }
  int64_t last_line = reader.line();
  std::vector<std::string> fields;
  while (true) {
    absl::StatusOr<bool> more = reader.Next(fields);
    if (!more.ok()) {
      CheckError(more.status());
      break;
    }
    if (!*more) break;
    LIFT_FUZZ_CHECK(fields.size() == header.size());
    LIFT_FUZZ_CHECK(reader.line() > last_line);
    last_line = reader.line();
    for (const std::string& field : fields) CheckNumber(field);
    CheckError(reader.FieldError(fields.size() - 1, "checked"));
  }
  return 0;
}

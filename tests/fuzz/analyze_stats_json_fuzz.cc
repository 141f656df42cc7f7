// Sufficient-statistics JSON files of `liftctl analyze ab --stats` (clients/cpp/analyze/
// ab_input.h ReadAbStatsJson): read on their own, then run as the command runs them (RunAnalyze,
// the file on standard input) through the statistics and the report.
// Input: byte 0 configures the command (bit 0 --json, bit 1 --sequential, bit 2 --no-cuped,
// bits 3-4 --kind (the file's, mean, proportion, ratio), bit 5 --control treatment, bit 6
// --guardrail-margin 0.05, bit 7 --prior-mean 0 --prior-sd 0.1); the rest is the file.
// Properties: the reader answers data or InvalidArgument naming the source; the command exits 0
// (analysed) or 1 (the data could not be analysed).
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "clients/cpp/analyze/ab_input.h"
#include "clients/cpp/analyze/analyze_command.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t flags = data[0];
  const std::string file(lift::fuzz::AsText(data + 1, size - 1));

  {
    std::istringstream in(file);
    absl::StatusOr<lift::analyze::AbData> read =
        lift::analyze::ReadAbStatsJson(in, "stats.json", lift::analyze::AbReadOptions{});
    if (!read.ok()) {
      LIFT_FUZZ_CHECK(absl::IsInvalidArgument(read.status()));
      LIFT_FUZZ_CHECK(absl::StrContains(read.status().message(), "stats.json"));
    } else {
      LIFT_FUZZ_CHECK(lift::analyze::ChooseControl(std::nullopt, *read).ok());
    }
  }

  std::vector<std::string> args = {"ab", "--stats", "-"};
  if (flags & 1) args.push_back("--json");
  if (flags & 2) args.push_back("--sequential");
  if (flags & 4) args.push_back("--no-cuped");
  static const char* const kKinds[] = {nullptr, "mean", "proportion", "ratio"};
  if (const char* kind = kKinds[(flags >> 3) & 3]; kind != nullptr) {
    args.insert(args.end(), {"--kind", kind});
  }
  if (flags & 32) args.insert(args.end(), {"--control", "treatment"});
  if (flags & 64) args.insert(args.end(), {"--guardrail-margin", "0.05"});
  if (flags & 128) args.insert(args.end(), {"--prior-mean", "0", "--prior-sd", "0.1"});

  lift::fuzz::StdinFrom input{file};
  std::ostringstream out;
  std::ostringstream err;
  const int exit_code = lift::analyze::RunAnalyze(args, out, err);
  LIFT_FUZZ_CHECK(exit_code == 0 || exit_code == 1);
  return 0;
}

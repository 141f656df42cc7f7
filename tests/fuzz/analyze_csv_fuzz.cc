// CSV inputs of `liftctl analyze` (clients/cpp/analyze/ab_input.h ReadAbCsv, did_input.h
// ReadDidCsv), run as the command runs them (RunAnalyze, the file on standard input), so whatever
// the readers accept also goes through the statistics and the report.
// Input: byte 0 selects and configures the command, the rest is the file:
//   bit 0 = 0  analyze ab --csv -   bit 1 --json, bit 2 --sequential, bit 3 --no-cuped,
//              bits 4-5 --kind (inferred, mean, proportion, ratio), bit 6: the first line is the
//              --weights value, bit 7 --correction bh
//   bit 0 = 1  analyze did --csv -  the first line is the --post-from value; bit 1 --json
// Properties: exit code 0 (analysed) or 1 (the data could not be analysed); never a crash.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include "clients/cpp/analyze/analyze_command.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t flags = data[0];
  std::string_view rest = lift::fuzz::AsText(data + 1, size - 1);
  std::vector<std::string> args;
  if ((flags & 1) == 0) {
    args = {"ab", "--csv", "-"};
    if (flags & 2) args.push_back("--json");
    if (flags & 4) args.push_back("--sequential");
    if (flags & 8) args.push_back("--no-cuped");
    static const char* const kKinds[] = {nullptr, "mean", "proportion", "ratio"};
    if (const char* kind = kKinds[(flags >> 4) & 3]; kind != nullptr) {
      args.insert(args.end(), {"--kind", kind});
    }
    if (flags & 64) {
      const auto [weights, csv] = lift::fuzz::SplitAt(rest, '\n');
      args.push_back("--weights=" + std::string(weights));
      rest = csv;
    }
    if (flags & 128) args.insert(args.end(), {"--correction", "bh"});
  } else {
    const auto [post_from, csv] = lift::fuzz::SplitAt(rest, '\n');
    args = {"did", "--csv", "-", "--post-from=" + std::string(post_from)};
    if (flags & 2) args.push_back("--json");
    rest = csv;
  }

  lift::fuzz::StdinFrom input{std::string(rest)};
  std::ostringstream out;
  std::ostringstream err;
  const int exit_code = lift::analyze::RunAnalyze(args, out, err);
  // 2 (bad usage) only for option values taken from the input (--weights, --post-from).
  LIFT_FUZZ_CHECK(exit_code == 0 || exit_code == 1 ||
                  (exit_code == 2 && ((flags & 1) == 1 || (flags & 64) != 0)));
  return 0;
}

// `liftctl analyze`: statistics on local files, no server needed.
//
//   analyze ab    --csv FILE | --stats FILE.json  [--control NAME] [--kind mean|proportion|ratio]
//                 [--weights a=0.5,b=0.5] [--alpha 0.05] [--sequential [--tuning N]]
//                 [--guardrail-margin M] [--direction increase|decrease] [--correction
//                 none|holm|bh]
//                 [--prior-mean M] [--prior-sd S] [--min-n N] [--no-cuped] [--json]
//   analyze did   --csv FILE --post-from PERIOD [--alpha 0.05] [--json]
//   analyze power [--kind mean|proportion] (--mean M --sd S | --rate P) (--mde D | --n-per-arm N)
//                 [--alpha 0.05] [--power 0.8] [--arms 2] [--daily-units N] [--json]
// Inputs are described in ab_input.h and did_input.h, outputs in report.h; the statistics are
// stats::AnalyzeAb, stats::TwoWayFixedEffectsDid (+ PanelDid) and stats/power.h. `--csv -` reads
// standard input.
//
// Exit codes: 0 success; 1 the data could not be analysed (unreadable or malformed file, unknown
// --control or --weights name, ...): one line "liftctl analyze: error: <file> line L, column C
// (name): ..." on `err`; 2 bad usage (unknown option, missing or out-of-range option value).
//
// Registering in liftctl (CLI11): before parsing,
//     auto analyze = lift::analyze::AddAnalyzeCommand(app);
// and after CLI11_PARSE,
//     if (analyze->Selected()) return analyze->Run(std::cout, std::cerr);
// Thread-compatible: one command object per parse.
#ifndef LIFT_CLIENTS_CPP_ANALYZE_ANALYZE_COMMAND_H_
#define LIFT_CLIENTS_CPP_ANALYZE_ANALYZE_COMMAND_H_

#include <memory>
#include <ostream>
#include <string>
#include <vector>

namespace CLI {
class App;
}  // namespace CLI

namespace lift::analyze {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;    // the data could not be analysed
inline constexpr int kExitBadUsage = 2;  // bad command line

// The `analyze` subcommand tree, bound to option storage it owns. Must outlive the parse of `app`.
class AnalyzeCommand {
 public:
  explicit AnalyzeCommand(CLI::App& app);
  ~AnalyzeCommand();
  AnalyzeCommand(const AnalyzeCommand&) = delete;
  AnalyzeCommand& operator=(const AnalyzeCommand&) = delete;

  // True when the parsed command line selected `analyze`.
  bool Selected() const;
  // Runs the selected subcommand after a successful parse; returns the exit code.
  int Run(std::ostream& out, std::ostream& err) const;

  struct Options;  // option storage bound to CLI11 (defined in the .cc)

 private:
  std::unique_ptr<Options> options_;
};

// Adds `analyze` (with ab, did, power) to `app`.
std::unique_ptr<AnalyzeCommand> AddAnalyzeCommand(CLI::App& app);

// Parses and runs `liftctl analyze <args...>` on its own (args exclude "analyze", e.g.
// {"ab", "--csv", "data.csv", "--json"}); help goes to `out` (exit 0), usage errors to `err`.
int RunAnalyze(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace lift::analyze

#endif  // LIFT_CLIENTS_CPP_ANALYZE_ANALYZE_COMMAND_H_

// Helpers shared by the fuzz targets (tests/fuzz/*_fuzz.cc): input splitting, property checks,
// standard stream redirection, a scratch file and a fixture assignment snapshot. The gRPC and
// client helpers are in rpc_support.h (they need the server library).
//
// Thread safety: the fixture snapshot is immutable; the stream redirections change process-wide
// state and are meant for the single-threaded fuzz loop.
#ifndef LIFT_TESTS_FUZZ_FUZZ_SUPPORT_H_
#define LIFT_TESTS_FUZZ_FUZZ_SUPPORT_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>

#include "server/assignment/snapshot.h"

// Aborts (a crash for libFuzzer and for the regression test) when a property of the code under test
// does not hold, printing the condition and where.
#define LIFT_FUZZ_CHECK(condition)                                                   \
  do {                                                                               \
    if (!(condition)) ::lift::fuzz::CheckFailed(#condition, __FILE__, __LINE__);     \
  } while (false)

namespace lift::fuzz {

[[noreturn]] void CheckFailed(const char* condition, const char* file, int line);

// The fuzz input as text.
inline std::string_view AsText(const uint8_t* data, size_t size) {
  return std::string_view(reinterpret_cast<const char*>(data), size);
}

// Splits `text` at the first `separator`: (before, after); (text, "") when there is none.
std::pair<std::string_view, std::string_view> SplitAt(std::string_view text, char separator);

// A fixed assignment snapshot with experiments of every status, layers, a holdout, forced
// variants, targeting conditions (including regex and version operators) and payloads: what the
// assignment and ingest handlers check requests against.
std::shared_ptr<const assignment::Snapshot> FixtureSnapshot();

// While alive, std::cout and std::cerr print nothing (commands that report errors there).
class SilenceStdStreams {
 public:
  SilenceStdStreams();
  ~SilenceStdStreams();
  SilenceStdStreams(const SilenceStdStreams&) = delete;
  SilenceStdStreams& operator=(const SilenceStdStreams&) = delete;

 private:
  std::stringbuf sink_;
  std::streambuf* cout_;
  std::streambuf* cerr_;
};

// While alive, std::cin reads `text` (commands given "-" as their input file).
class StdinFrom {
 public:
  explicit StdinFrom(std::string text);
  ~StdinFrom();
  StdinFrom(const StdinFrom&) = delete;
  StdinFrom& operator=(const StdinFrom&) = delete;

 private:
  std::stringbuf buffer_;
  std::streambuf* cin_;
};

// Writes `contents` to a file private to this process (in $TMPDIR or /tmp, replaced on every call)
// and returns its path; "" when it cannot be written.
std::string WriteScratchFile(std::string_view contents);

}  // namespace lift::fuzz

#endif  // LIFT_TESTS_FUZZ_FUZZ_SUPPORT_H_

// The fuzz corpora as regression tests: every file under tests/fuzz/corpus/<target>/ (hand-written
// seeds and the crash-* inputs that fuzzing found) goes through the target's entry point, compiled
// into this test as LiftFuzzEntry_<target> (tests/fuzz/CMakeLists.txt), in the normal build with
// the normal compiler. A crash, an abort or a sanitizer report (scripts/test --sanitize) fails the
// test; each target must have a non-empty corpus.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <ostream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#define LIFT_FUZZ_ENTRY(name) extern "C" int LiftFuzzEntry_##name(const uint8_t* data, size_t size);
#include "fuzz_entries.inc"
#undef LIFT_FUZZ_ENTRY

namespace lift::fuzz {
namespace {

namespace fs = std::filesystem;

struct FuzzTarget {
  const char* name;
  int (*entry)(const uint8_t* data, size_t size);
};

// gtest prints parameters in test listings: the target's name, not its bytes.
void PrintTo(const FuzzTarget& target, std::ostream* out) { *out << target.name; }

const std::vector<FuzzTarget>& Targets() {
  static const std::vector<FuzzTarget> kTargets = {
#define LIFT_FUZZ_ENTRY(name) {#name, &LiftFuzzEntry_##name},
#include "fuzz_entries.inc"
#undef LIFT_FUZZ_ENTRY
  };
  return kTargets;
}

std::vector<fs::path> CorpusFiles(const std::string& target) {
  std::vector<fs::path> files;
  const fs::path dir = fs::path(LIFT_FUZZ_CORPUS_DIR) / target;
  if (!fs::is_directory(dir)) return files;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir)) {
    if (entry.is_regular_file()) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

class CorpusTest : public ::testing::TestWithParam<FuzzTarget> {};

TEST_P(CorpusTest, EveryInputRunsCleanly) {
  const FuzzTarget& target = GetParam();
  const std::vector<fs::path> files = CorpusFiles(target.name);
  ASSERT_FALSE(files.empty()) << "tests/fuzz/corpus/" << target.name
                              << "/ must hold at least one seed input";
  for (const fs::path& file : files) {
    SCOPED_TRACE(file.string());
    std::ifstream in(file, std::ios::binary);
    ASSERT_TRUE(in) << "cannot read " << file;
    const std::vector<char> bytes((std::istreambuf_iterator<char>(in)),
                                  std::istreambuf_iterator<char>());
    // libFuzzer's contract: the entry point returns 0 for every input (a crash fails the test).
    EXPECT_EQ(target.entry(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()), 0);
  }
}

// Every corpus directory belongs to a target (a renamed target must take its corpus along).
TEST(CorpusLayoutTest, EveryCorpusDirectoryHasATarget) {
  for (const fs::directory_entry& entry : fs::directory_iterator(LIFT_FUZZ_CORPUS_DIR)) {
    if (!entry.is_directory()) continue;
    const std::string name = entry.path().filename().string();
    bool known = false;
    for (const FuzzTarget& target : Targets()) known = known || name == target.name;
    EXPECT_TRUE(known) << "tests/fuzz/corpus/" << name << "/ has no " << name << "_fuzz.cc";
  }
}

INSTANTIATE_TEST_SUITE_P(FuzzTargets, CorpusTest, ::testing::ValuesIn(Targets()),
                         [](const ::testing::TestParamInfo<FuzzTarget>& info) {
                           return std::string(info.param.name);
                         });

}  // namespace
}  // namespace lift::fuzz

#include "server/assignment/version_string.h"

#include <string>

#include "gtest/gtest.h"
#include "server/assignment/js_value.h"
#include "tests/server/assignment/growthbook_cases.h"

namespace lift::assignment {
namespace {

using testdata::GrowthBookCases;

int ComparePadded(const std::string& a, const std::string& b) {
  return CompareUtf16(PaddedVersionString(a), PaddedVersionString(b));
}

// Published vectors: cases.json "versionCompare" {lt, gt, eq} = [v1, v2, expected], where
// GrowthBook checks paddedVersionString(v1) <, > or === paddedVersionString(v2).
TEST(VersionStringTest, MatchesGrowthBookVersionCompareVectors) {
  const auto& cases = GrowthBookCases().at("versionCompare");
  ASSERT_EQ(cases.at("lt").size(), 15u);
  ASSERT_EQ(cases.at("gt").size(), 35u);
  ASSERT_EQ(cases.at("eq").size(), 13u);
  for (const auto& c : cases.at("lt")) {
    SCOPED_TRACE(c.dump());
    EXPECT_EQ(ComparePadded(c[0], c[1]) < 0, c[2].get<bool>());
  }
  for (const auto& c : cases.at("gt")) {
    SCOPED_TRACE(c.dump());
    EXPECT_EQ(ComparePadded(c[0], c[1]) > 0, c[2].get<bool>());
  }
  for (const auto& c : cases.at("eq")) {
    SCOPED_TRACE(c.dump());
    EXPECT_EQ(ComparePadded(c[0], c[1]) == 0, c[2].get<bool>());
  }
}

TEST(VersionStringTest, PadsAndMarksReleases) {
  EXPECT_EQ(PaddedVersionString("v1.2.3+build"), "    1-    2-    3-~");
  EXPECT_EQ(PaddedVersionString("1.2.3-rc.1"), "    1-    2-    3-rc-    1");
  EXPECT_EQ(PaddedVersionString("123456.0.0"), "123456-    0-    0-~");  // no truncation
  EXPECT_EQ(PaddedVersionString(""), "    0");
  EXPECT_EQ(PaddedVersionString(nlohmann::json(nullptr)), "    0");
  EXPECT_EQ(PaddedVersionString(nlohmann::json(2.5)), "    2-    5");
}

}  // namespace
}  // namespace lift::assignment

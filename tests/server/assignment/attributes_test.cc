#include "server/assignment/attributes.h"

#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace lift::assignment {
namespace {

TEST(AttributesTest, FromStringsKeepsValuesAsStrings) {
  const Attributes attributes =
      Attributes::FromStrings(std::map<std::string, std::string>{{"id", "u1"}, {"age", "42"}});
  ASSERT_NE(attributes.Find("age"), nullptr);
  EXPECT_EQ(*attributes.Find("age"), "42");
  EXPECT_EQ(attributes.Find("missing"), nullptr);
  const std::vector<std::pair<std::string, std::string>> pairs = {{"country", "US"}};
  EXPECT_EQ(*Attributes::FromStrings(pairs).Find("country"), "US");
}

TEST(AttributesTest, FromJsonRequiresAnObject) {
  const auto ok = Attributes::FromJson(nlohmann::json::parse(R"({"id": 7, "tags": ["a"]})"));
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok->Find("id"), 7);
  const auto bad = Attributes::FromJson(nlohmann::json::array());
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(bad.status().message()),
              ::testing::HasSubstr("attributes must be a JSON object, got array"));
  EXPECT_TRUE(Attributes().json().is_object());
}

}  // namespace
}  // namespace lift::assignment

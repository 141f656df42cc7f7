// The group-condition language of launch analyses (server/launch/group_condition.h): what parses,
// into which struct, the canonical text, and the exact InvalidArgument message (field and
// 1-based position) for malformed input.
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/launch/group_condition.h"

namespace lift::launch {
namespace {

using ::testing::ElementsAre;

ConditionClause Clause(AttributeSource source, std::string attribute, ConditionOperator op,
                       std::vector<std::string> values) {
  return ConditionClause{source, std::move(attribute), op, std::move(values)};
}

constexpr AttributeSource kEvent = AttributeSource::kEventProperty;
constexpr AttributeSource kExposure = AttributeSource::kExposureAttribute;

GroupCondition MustParse(const std::string& text) {
  absl::StatusOr<GroupCondition> parsed = ParseGroupCondition(text, "treated");
  EXPECT_TRUE(parsed.ok()) << text << ": " << parsed.status();
  return parsed.ok() ? *parsed : GroupCondition{};
}

void ExpectError(const std::string& text, const std::string& message) {
  absl::StatusOr<GroupCondition> parsed = ParseGroupCondition(text, "treated");
  ASSERT_FALSE(parsed.ok()) << text;
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument) << text;
  EXPECT_EQ(std::string(parsed.status().message()), message) << text;
}

TEST(LaunchConditionTest, Equality) {
  EXPECT_THAT(MustParse("country=DE").clauses,
              ElementsAre(Clause(kEvent, "country", ConditionOperator::kEqual, {"DE"})));
  EXPECT_THAT(MustParse("  country = DE  ").clauses,
              ElementsAre(Clause(kEvent, "country", ConditionOperator::kEqual, {"DE"})));
  EXPECT_THAT(MustParse("app.version!=1.2.3").clauses,
              ElementsAre(Clause(kEvent, "app.version", ConditionOperator::kNotEqual, {"1.2.3"})));
}

TEST(LaunchConditionTest, ListsAndKeywordsAreCaseInsensitive) {
  EXPECT_THAT(MustParse("country in (AT,CH)").clauses,
              ElementsAre(Clause(kEvent, "country", ConditionOperator::kIn, {"AT", "CH"})));
  EXPECT_THAT(MustParse("country IN( AT , CH )").clauses,
              ElementsAre(Clause(kEvent, "country", ConditionOperator::kIn, {"AT", "CH"})));
  EXPECT_THAT(MustParse("platform not in (web)").clauses,
              ElementsAre(Clause(kEvent, "platform", ConditionOperator::kNotIn, {"web"})));
  EXPECT_THAT(MustParse("platform NOT  In (web)").clauses,
              ElementsAre(Clause(kEvent, "platform", ConditionOperator::kNotIn, {"web"})));
}

TEST(LaunchConditionTest, ConjunctionsAndExposureAttributes) {
  EXPECT_THAT(MustParse("exposure.country=DE and platform in (ios,android) AND plan!=free").clauses,
              ElementsAre(Clause(kExposure, "country", ConditionOperator::kEqual, {"DE"}),
                          Clause(kEvent, "platform", ConditionOperator::kIn, {"ios", "android"}),
                          Clause(kEvent, "plan", ConditionOperator::kNotEqual, {"free"})));
  EXPECT_TRUE(MustParse("exposure.a=1 and b=2").HasSource(kExposure));
  EXPECT_FALSE(MustParse("a=1 and b=2").HasSource(kExposure));
}

TEST(LaunchConditionTest, QuotedValues) {
  EXPECT_THAT(MustParse("city='New York'").clauses,
              ElementsAre(Clause(kEvent, "city", ConditionOperator::kEqual, {"New York"})));
  EXPECT_THAT(MustParse("name in (\"O'Brien\", 'a,b', '')").clauses,
              ElementsAre(Clause(kEvent, "name", ConditionOperator::kIn, {"O'Brien", "a,b", ""})));
  // A value that looks like SQL is just a value.
  EXPECT_THAT(
      MustParse("x='1; DROP TABLE launches'").clauses,
      ElementsAre(Clause(kEvent, "x", ConditionOperator::kEqual, {"1; DROP TABLE launches"})));
  // "and" as a value is a value.
  EXPECT_THAT(MustParse("word=and and n=1").clauses,
              ElementsAre(Clause(kEvent, "word", ConditionOperator::kEqual, {"and"}),
                          Clause(kEvent, "n", ConditionOperator::kEqual, {"1"})));
}

TEST(LaunchConditionTest, FormatIsCanonicalAndRoundTrips) {
  for (const char* text :
       {"country=DE", "country  IN (AT , CH)", "exposure.plan not in ('a b', \"it's\", x)",
        "a!=1 and exposure.b='' AND c in (\"q'\")"}) {
    const GroupCondition parsed = MustParse(text);
    const std::string formatted = FormatGroupCondition(parsed);
    EXPECT_EQ(MustParse(formatted).clauses, parsed.clauses) << text << " -> " << formatted;
  }
  EXPECT_EQ(FormatGroupCondition(MustParse("country  IN (AT , CH)")), "country in (AT,CH)");
  EXPECT_EQ(FormatGroupCondition(MustParse("exposure.plan not in ('a b',x) and y!=z")),
            "exposure.plan not in ('a b',x) and y!=z");
}

TEST(LaunchConditionTest, Limits) {
  const std::string name(100, 'n');
  EXPECT_EQ(MustParse(name + "=1").clauses[0].attribute, name);
  EXPECT_EQ(MustParse("exposure." + name + "=1").clauses[0].attribute, name);
  ExpectError(std::string(101, 'n') + "=1",
              "treated: attribute name longer than 100 characters at position 1");
  ExpectError("exposure." + std::string(101, 'n') + "=1",
              "treated: attribute name longer than 100 characters at position 10");
  std::string clauses = "a=1";
  for (int i = 1; i < 20; ++i) clauses += " and a=1";
  EXPECT_EQ(MustParse(clauses).clauses.size(), 20u);
  ExpectError(clauses + " and a=1", "treated: more than 20 clauses at position 161");
  ExpectError("a='" + std::string(1001, 'v') + "'",
              "treated: value longer than 1000 characters at position 3");
}

TEST(LaunchConditionTest, ErrorsNameTheFieldAndPosition) {
  ExpectError("", "treated is required");
  ExpectError("   ", "treated is required");
  ExpectError("country>DE",
              "treated: expected an operator (=, !=, in, not in) at position 8, found '>'");
  ExpectError("country",
              "treated: expected an operator (=, !=, in, not in) at position 8, found the end");
  ExpectError("=DE",
              "treated: expected an attribute name ([A-Za-z0-9_.-]) at position 1, found '='");
  ExpectError("country=", "treated: expected a value at position 9, found the end");
  ExpectError("country=(DE)", "treated: expected a value at position 9, found '('");
  ExpectError("country in AT", "treated: expected '(' to start the list at position 12, found 'A'");
  ExpectError("country in (AT CH)",
              "treated: expected ',' or ')' in the list at position 16, found 'C'");
  ExpectError("country in (AT,", "treated: expected a value at position 16, found the end");
  ExpectError("country in ()", "treated: expected a value at position 13, found ')'");
  ExpectError("country not (AT)", "treated: expected 'in' after 'not' at position 13, found '('");
  ExpectError("country='DE", "treated: unterminated quoted value at position 9");
  ExpectError("country=DE or country=AT",
              "treated: expected ' and ' between clauses at position 12, found 'o'");
  ExpectError("country=DE and", "treated: expected a clause after 'and' at position 15");
  ExpectError("country=DE and ", "treated: expected a clause after 'and' at position 16");
  ExpectError("country=DE andx=1",
              "treated: expected ' and ' between clauses at position 12, found 'a'");
  ExpectError("country=DE,AT",
              "treated: expected ' and ' between clauses at position 11, found ','");
  ExpectError("exposure.=DE",
              "treated: expected an attribute name after 'exposure.' at position 10");
  ExpectError("coun try=DE",
              "treated: expected an operator (=, !=, in, not in) at position 6, found 't'");
  ExpectError("country$=DE",
              "treated: expected an operator (=, !=, in, not in) at position 8, found '$'");
  // The field name comes from the caller.
  absl::StatusOr<GroupCondition> parsed = ParseGroupCondition("x", "definition.control");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(std::string(parsed.status().message()),
            "definition.control: expected an operator (=, !=, in, not in) at position 2, found "
            "the end");
}

}  // namespace
}  // namespace lift::launch

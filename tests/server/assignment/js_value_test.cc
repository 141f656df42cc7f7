#include "server/assignment/js_value.h"

#include <cmath>
#include <limits>
#include <string>

#include "gtest/gtest.h"

namespace lift::assignment {
namespace {

using nlohmann::json;

// Expected strings: node v20.20.2, String(x).
TEST(JsValueTest, NumberToStringMatchesJavaScript) {
  EXPECT_EQ(JsNumberToString(123), "123");
  EXPECT_EQ(JsNumberToString(0.1), "0.1");
  EXPECT_EQ(JsNumberToString(1e21), "1e+21");
  EXPECT_EQ(JsNumberToString(1e20), "100000000000000000000");
  EXPECT_EQ(JsNumberToString(1e-7), "1e-7");
  EXPECT_EQ(JsNumberToString(0.000001), "0.000001");
  EXPECT_EQ(JsNumberToString(-0.000001), "-0.000001");
  EXPECT_EQ(JsNumberToString(123456789012345680000.0), "123456789012345680000");
  EXPECT_EQ(JsNumberToString(1.5e-10), "1.5e-10");
  EXPECT_EQ(JsNumberToString(9007199254740994.0), "9007199254740994");
  EXPECT_EQ(JsNumberToString(1.0 / 3.0), "0.3333333333333333");
  EXPECT_EQ(JsNumberToString(1e300), "1e+300");
  EXPECT_EQ(JsNumberToString(-1.25), "-1.25");
  EXPECT_EQ(JsNumberToString(5e-324), "5e-324");
  EXPECT_EQ(JsNumberToString(1.7976931348623157e308), "1.7976931348623157e+308");
  EXPECT_EQ(JsNumberToString(123.456), "123.456");
  EXPECT_EQ(JsNumberToString(12345.6789e-3), "12.3456789");
  EXPECT_EQ(JsNumberToString(-0.0), "0");
  EXPECT_EQ(JsNumberToString(std::numeric_limits<double>::quiet_NaN()), "NaN");
  EXPECT_EQ(JsNumberToString(-std::numeric_limits<double>::infinity()), "-Infinity");
}

// Expected numbers: node v20.20.2, Number(s).
TEST(JsValueTest, StringToNumberMatchesJavaScript) {
  EXPECT_EQ(JsStringToNumber(" 12 "), 12);
  EXPECT_EQ(JsStringToNumber("0x1F"), 31);
  EXPECT_EQ(JsStringToNumber("1e3"), 1000);
  EXPECT_EQ(JsStringToNumber(""), 0);
  EXPECT_EQ(JsStringToNumber(" \n\t "), 0);
  EXPECT_EQ(JsStringToNumber("Infinity"), std::numeric_limits<double>::infinity());
  EXPECT_EQ(JsStringToNumber("-Infinity"), -std::numeric_limits<double>::infinity());
  EXPECT_EQ(JsStringToNumber("+5"), 5);
  EXPECT_EQ(JsStringToNumber(".5"), 0.5);
  EXPECT_EQ(JsStringToNumber("5."), 5);
  EXPECT_EQ(JsStringToNumber("0b101"), 5);
  EXPECT_EQ(JsStringToNumber("0o17"), 15);
  EXPECT_EQ(JsStringToNumber("\u00a012\u3000"), 12);
  EXPECT_EQ(JsStringToNumber("1e400"), std::numeric_limits<double>::infinity());
  EXPECT_EQ(JsStringToNumber("-1e-400"), 0.0);
  EXPECT_EQ(JsStringToNumber("+.5e+2"), 50);
  for (const char* nan_text : {"abc", "1_000", "12px", "-0x10", "0x", "e5", "1e", "inf", "nan"}) {
    EXPECT_TRUE(std::isnan(JsStringToNumber(nan_text))) << nan_text;
  }
}

TEST(JsValueTest, ToStringOfJsonValues) {
  EXPECT_EQ(JsToString(json(nullptr)), "null");
  EXPECT_EQ(JsToString(json(true)), "true");
  EXPECT_EQ(JsToString(json(42)), "42");
  EXPECT_EQ(JsToString(json(2.5)), "2.5");
  EXPECT_EQ(JsToString(json("x")), "x");
  EXPECT_EQ(JsToString(json::parse(R"([1, "a", null, [2, 3]])")), "1,a,,2,3");
  EXPECT_EQ(JsToString(json::object()), "[object Object]");
}

TEST(JsValueTest, ToNumberAndTruthiness) {
  EXPECT_EQ(JsToNumber(json(nullptr)), 0);
  EXPECT_EQ(JsToNumber(json(true)), 1);
  EXPECT_EQ(JsToNumber(json("8")), 8);
  EXPECT_EQ(JsToNumber(json::array()), 0);
  EXPECT_EQ(JsToNumber(json::parse("[5]")), 5);
  EXPECT_TRUE(std::isnan(JsToNumber(json::parse("[1, 2]"))));
  EXPECT_TRUE(std::isnan(JsToNumber(json::object())));
  EXPECT_FALSE(JsTruthy(json(0)));
  EXPECT_FALSE(JsTruthy(json("")));
  EXPECT_FALSE(JsTruthy(json(nullptr)));
  EXPECT_TRUE(JsTruthy(json("0")));
  EXPECT_TRUE(JsTruthy(json::array()));
}

TEST(JsValueTest, StrictEqualityNeverEqualsContainers) {
  EXPECT_TRUE(JsStrictEquals(json(1), json(1.0)));
  EXPECT_FALSE(JsStrictEquals(json(1), json("1")));
  EXPECT_TRUE(JsStrictEquals(json(nullptr), json(nullptr)));
  EXPECT_FALSE(JsStrictEquals(json::parse("[1]"), json::parse("[1]")));
}

TEST(JsValueTest, RelationalComparisonFollowsJavaScript) {
  EXPECT_EQ(JsCompare(json("8"), json(5)), JsOrder::kGreater);        // "8" > 5
  EXPECT_EQ(JsCompare(json("10"), json("9")), JsOrder::kLess);        // string order
  EXPECT_EQ(JsCompare(json(nullptr), json(-10)), JsOrder::kGreater);  // null -> 0
  EXPECT_EQ(JsCompare(json("abc"), json(1)), JsOrder::kUnordered);    // NaN
  EXPECT_EQ(JsCompare(json::parse("[2]"), json(1)), JsOrder::kGreater);
}

TEST(JsValueTest, StringsCompareByUtf16CodeUnits) {
  // U+FF61 (one unit 0xFF61) sorts after U+1F600 (units 0xD83D 0xDE00) in JavaScript, although its
  // UTF-8 bytes (EF BD A1) sort before F0 9F 98 80.
  EXPECT_GT(CompareUtf16("\uff61", "\U0001F600"), 0);
  EXPECT_LT(CompareUtf16("a", "b"), 0);
  EXPECT_LT(CompareUtf16("ab", "abc"), 0);
  EXPECT_EQ(CompareUtf16("\u00e9", "\u00e9"), 0);
  EXPECT_LT(CompareUtf16("\u00e9", "\u00ea"), 0);
}

}  // namespace
}  // namespace lift::assignment

#include "server/assignment/hash.h"

#include <string>

#include "gtest/gtest.h"
#include "server/assignment/bucket_ranges.h"
#include "tests/server/assignment/growthbook_cases.h"

namespace lift::assignment {
namespace {

using testdata::GrowthBookCases;

// Published vectors: GrowthBook cases.json "hash" = [seed, value, version, expected or null].
// Hash values are k/1000 or k/10000 computed by IEEE division on both sides: compare exactly.
TEST(HashTest, MatchesGrowthBookHashVectors) {
  const auto& cases = GrowthBookCases().at("hash");
  ASSERT_EQ(cases.size(), 15u);
  for (const auto& c : cases) {
    const std::string seed = c[0];
    const std::string value = c[1];
    const int version = c[2];
    SCOPED_TRACE(seed + " / " + value + " / v" + std::to_string(version));
    const std::optional<double> actual = Hash(seed, value, version);
    if (c[3].is_null()) {
      EXPECT_FALSE(actual.has_value());
    } else {
      ASSERT_TRUE(actual.has_value());
      EXPECT_EQ(*actual, c[3].get<double>());
    }
  }
}

// Published vectors: GrowthBook cases.json "inNamespace" = [name, unit id, [namespace, start, end],
// expected]; a layer slice is GrowthBook's namespace range.
TEST(HashTest, LayerBucketMatchesGrowthBookNamespaceVectors) {
  const auto& cases = GrowthBookCases().at("inNamespace");
  ASSERT_EQ(cases.size(), 16u);
  for (const auto& c : cases) {
    SCOPED_TRACE(c[0].get<std::string>());
    const double bucket = LayerBucket(c[2][0].get<std::string>(), c[1].get<std::string>());
    const BucketRange slice{c[2][1].get<double>(), c[2][2].get<double>()};
    EXPECT_EQ(InRange(bucket, slice), c[3].get<bool>());
  }
}

TEST(HashTest, LayerBucketIsHashV1WithDoubleUnderscoreSeed) {
  for (const char* unit : {"1", "user-42", "ü"}) {
    EXPECT_EQ(LayerBucket("pricing", unit), HashV1("__pricing", unit));
  }
}

// Non-ASCII text must hash as JavaScript sees it: UTF-16 code units, surrogate pairs above U+FFFF.
// Expected values computed with node v20.20.2 (V8): FNV-1a via Math.imul over
// String.prototype.charCodeAt, hash v1/v2 composed as in GrowthBook's util.ts.
TEST(HashTest, HashesUtf16CodeUnitsLikeJavaScript) {
  EXPECT_EQ(Fnv1a32("\u00e9"), 1812687940u);                      // "é": one code unit
  EXPECT_EQ(Fnv1a32("\u65e5\u672c\u8a9e"), 1409693518u);          // "日本語": 3 units
  EXPECT_EQ(Fnv1a32("\U0001F600"), 3409036472u);                  // "😀": surrogate pair
  EXPECT_EQ(Fnv1a32("user-\u03a9mega-\U0001F680"), 4201926472u);  // 13 units
  EXPECT_EQ(Fnv1a32("\u00dcn\u00efc\u00f6d\u00e9-\u043a\u043b\u044e\u0447-\u7528\u6237-"
                    "\U0001F389\U0001F389"),
            1882173264u);
  EXPECT_EQ(HashV1("exp-\u00fc", "\u7528\u623742"), 0.244);
  EXPECT_EQ(HashV2("exp-\u00fc", "\u7528\u623742"), 0.6797);
  EXPECT_EQ(HashV1("\U0001F680launch", "user-\U0001F600"), 0.006);
  EXPECT_EQ(HashV2("\U0001F680launch", "user-\U0001F600"), 0.6577);
  EXPECT_EQ(HashV1("seed", "na\u00efve"), 0.481);
  EXPECT_EQ(HashV2("seed", "na\u00efve"), 0.1066);
}

TEST(HashTest, InvalidUtf8HashesAsReplacementCharacter) {
  // node: fnv("\uFFFD") = 2007932456 (TextDecoder turns a stray byte into U+FFFD).
  EXPECT_EQ(Fnv1a32("\xff"), 2007932456u);
  EXPECT_EQ(Fnv1a32("\xc3"), 2007932456u);  // truncated 2-byte sequence
  EXPECT_EQ(Fnv1a32("\xed\xa0\x80"), Fnv1a32("\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"));  // surrogate
}

TEST(HashTest, EmptyStringIsOffsetBasis) { EXPECT_EQ(Fnv1a32(""), kFnvOffsetBasis); }

TEST(HashTest, IncrementalHashingEqualsHashingTheConcatenation) {
  const std::string parts[] = {"", "a", "seed", "\u00e9t\u00e9", "\U0001F600x", "12345"};
  for (const std::string& a : parts) {
    for (const std::string& b : parts) {
      EXPECT_EQ(Fnv1a32(b, Fnv1a32(a)), Fnv1a32(a + b)) << a << " + " << b;
      EXPECT_EQ(HashV2WithSeedState(Fnv1a32(a), b), HashV2(a, b));
    }
  }
}

// Hash v2's definition, spelled out with std::to_string for the decimal step (the fast path
// computes the digits without formatting a string).
double HashV2ByDefinition(std::string_view seed, std::string_view value) {
  const uint32_t first = Fnv1a32(std::string(seed) + std::string(value));
  return static_cast<double>(Fnv1a32(std::to_string(first)) % 10000) / 10000.0;
}

TEST(HashTest, HashV2EqualsItsDefinitionForEveryDigitCount) {
  // 20,000 units give first-pass hashes of 7 to 10 digits; the seeds below reach the short ones.
  for (int i = 0; i < 20000; ++i) {
    const std::string unit = "u" + std::to_string(i);
    ASSERT_EQ(HashV2("seed", unit), HashV2ByDefinition("seed", unit)) << unit;
  }
  int short_first_passes = 0;
  for (uint32_t i = 0; i < 200000 && short_first_passes < 3; ++i) {
    const std::string unit = std::to_string(i);
    if (Fnv1a32(unit) >= 1000000) continue;  // look for first passes of at most 6 digits
    ++short_first_passes;
    ASSERT_EQ(HashV2("", unit), HashV2ByDefinition("", unit)) << unit;
  }
  EXPECT_GT(short_first_passes, 0);
}

TEST(HashTest, PairOfHashesEqualsTwoSingleHashes) {
  const std::string units[] = {"", "a", "user-123", "\u00e9t\u00e9", "\U0001F600x", "12345"};
  const std::string seeds[] = {"global-holdout", "checkout", ""};
  for (const std::string& unit : units) {
    for (const std::string& a : seeds) {
      for (const std::string& b : seeds) {
        const auto pair = HashV2PairWithSeedStates(Fnv1a32(a), Fnv1a32(b), unit);
        EXPECT_EQ(pair[0], HashV2(a, unit)) << a << " / " << unit;
        EXPECT_EQ(pair[1], HashV2(b, unit)) << b << " / " << unit;
      }
    }
  }
}

TEST(HashTest, ValuesStayInUnitInterval) {
  for (int i = 0; i < 20000; ++i) {
    const std::string unit = "u" + std::to_string(i);
    const double v1 = HashV1("seed", unit);
    const double v2 = HashV2("seed", unit);
    ASSERT_GE(v1, 0.0);
    ASSERT_LT(v1, 1.0);
    ASSERT_GE(v2, 0.0);
    ASSERT_LT(v2, 1.0);
  }
}

}  // namespace
}  // namespace lift::assignment

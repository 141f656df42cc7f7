// API key material (server/auth/api_key.h): format, SHA-256, comparison, Bearer parsing, names.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "server/auth/api_key.h"

namespace lift::auth {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;

TEST(Sha256Test, MatchesFips180TestVectors) {
  // FIPS 180-2, appendix B.1 ("abc") and the well-known digest of the empty string.
  EXPECT_EQ(HexOf(Sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(HexOf(Sha256("")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  // FIPS 180-2, appendix B.2 (two blocks).
  EXPECT_EQ(HexOf(Sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(GenerateKeyTest, HasTheDocumentedFormatAndDigest) {
  absl::StatusOr<KeyMaterial> key = GenerateKey();
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_THAT(key->token, MatchesRegex("lift_[0-9a-f]{8}_[0-9a-f]{64}"));
  EXPECT_EQ(key->token.substr(5, 8), key->prefix);
  EXPECT_EQ(key->sha256, Sha256(key->token));
  EXPECT_EQ(key->sha256.size(), 32u);
  absl::StatusOr<std::string> prefix = KeyPrefix(key->token);
  ASSERT_TRUE(prefix.ok());
  EXPECT_EQ(*prefix, key->prefix);
}

TEST(GenerateKeyTest, KeysAreDistinct) {
  std::set<std::string> tokens;
  for (int i = 0; i < 100; ++i) tokens.insert(GenerateKey()->token);
  EXPECT_EQ(tokens.size(), 100u);
}

TEST(KeyPrefixTest, RejectsMalformedKeysWithoutQuotingThem) {
  const std::string good = "lift_0123abcd_" + std::string(64, 'e');
  EXPECT_TRUE(KeyPrefix(good).ok());
  for (const std::string& bad :
       {std::string("secret-key"), "lift_0123ABCD_" + std::string(64, 'e'),
        "lift_0123abcd_" + std::string(63, 'e'), "lift_0123abcd-" + std::string(64, 'e'),
        "lyft_0123abcd_" + std::string(64, 'e'), "lift_0123abcd_" + std::string(64, 'g'),
        std::string()}) {
    absl::StatusOr<std::string> prefix = KeyPrefix(bad);
    EXPECT_EQ(prefix.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(std::string(prefix.status().message()), HasSubstr("lift_<8 hex digits>"));
    if (bad.size() > 8) {
      EXPECT_THAT(std::string(prefix.status().message()), ::testing::Not(HasSubstr(bad)));
    }
  }
}

TEST(ConstantTimeEqualsTest, ComparesContentAndLength) {
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abcd"));
  EXPECT_TRUE(ConstantTimeEquals("", ""));
}

TEST(BearerTokenTest, ParsesTheAuthorizationValue) {
  EXPECT_EQ(*BearerToken("Bearer abc"), "abc");
  EXPECT_EQ(*BearerToken("bearer   abc  "), "abc");
  for (const char* bad : {"abc", "Bearer", "Bearer  ", "Basic abc", ""}) {
    absl::StatusOr<std::string_view> token = BearerToken(bad);
    EXPECT_EQ(token.status().code(), absl::StatusCode::kUnauthenticated) << bad;
    EXPECT_THAT(std::string(token.status().message()), HasSubstr("expected 'Bearer <key>'"));
  }
}

TEST(ValidateKeyNameTest, AcceptsDocumentedNames) {
  for (const char* good : {"flags", "bootstrap-admin", "svc.checkout_1", "a", "0x"}) {
    EXPECT_TRUE(ValidateKeyName(good).ok()) << good;
  }
  for (const std::string& bad : {std::string(""), std::string("Flags"), std::string("-x"),
                                 std::string("a b"), std::string(64, 'a'), std::string("a/b")}) {
    EXPECT_EQ(ValidateKeyName(bad).code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

}  // namespace
}  // namespace lift::auth

// Authenticator (key cache, TTL, outage grace) and AuthInterceptor's decisions, with a fake key
// table and a fake clock: no database, no network.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <map>

#include "server/auth/auth_interceptor.h"
#include "server/auth/authenticator.h"

namespace lift::auth {
namespace {

using std::chrono::seconds;
using ::testing::HasSubstr;

class FakeKeys {
 public:
  FakeKeys() {
    admin_ = Add("ops", static_cast<uint8_t>(Scope::kAdmin));
    assign_ = Add("flags", static_cast<uint8_t>(Scope::kAssign));
  }
  std::string Add(const std::string& name, uint8_t scopes) {
    KeyMaterial key = *GenerateKey();
    ApiKeyRecord record;
    record.name = name;
    record.prefix = key.prefix;
    record.sha256_hex = HexOf(key.sha256);
    record.scopes = scopes;
    rows_[key.prefix] = record;
    return key.token;
  }
  void Revoke(const std::string& token) {
    ApiKeyRecord& row = rows_[token.substr(5, 8)];
    row.revoked_at_micros = 1;
    row.revoked_by = "ops";
  }
  Authenticator::Lookup Lookup() {
    return [this](const std::string& prefix) -> absl::StatusOr<std::optional<ApiKeyRecord>> {
      ++lookups_;
      if (down_) return absl::UnavailableError("connection refused");
      auto it = rows_.find(prefix);
      if (it == rows_.end()) return std::optional<ApiKeyRecord>();
      return std::optional<ApiKeyRecord>(it->second);
    };
  }
  std::map<std::string, ApiKeyRecord> rows_;
  std::string admin_;
  std::string assign_;
  int lookups_ = 0;
  bool down_ = false;
};

class AuthenticatorTest : public ::testing::Test {
 protected:
  AuthenticatorTest() : authenticator_(keys_.Lookup(), Options()) {}
  AuthenticatorOptions Options() {
    AuthenticatorOptions options;
    options.now = [this] { return now_; };
    return options;
  }
  std::chrono::steady_clock::time_point now_ =
      std::chrono::steady_clock::time_point() + seconds(100);
  FakeKeys keys_;
  Authenticator authenticator_;
};

TEST_F(AuthenticatorTest, VerifiedKeysAreCachedForTheTtl) {
  EXPECT_FALSE(authenticator_.VerifyCached(keys_.assign_).has_value());
  absl::StatusOr<Principal> principal = authenticator_.VerifyBlocking(keys_.assign_);
  ASSERT_TRUE(principal.ok()) << principal.status();
  EXPECT_EQ(principal->name, "flags");
  EXPECT_TRUE(principal->Holds(Scope::kAssign));
  now_ += seconds(4);
  for (int i = 0; i < 100; ++i) {
    auto cached = authenticator_.VerifyCached(keys_.assign_);
    ASSERT_TRUE(cached.has_value());
    EXPECT_TRUE(cached->ok());
  }
  EXPECT_EQ(keys_.lookups_, 1);
  now_ += seconds(1);  // 5 s: the entry is stale
  EXPECT_FALSE(authenticator_.VerifyCached(keys_.assign_).has_value());
}

TEST_F(AuthenticatorTest, RevocationTakesEffectWhenTheTtlExpires) {
  ASSERT_TRUE(authenticator_.VerifyBlocking(keys_.assign_).ok());
  keys_.Revoke(keys_.assign_);
  now_ += seconds(4);
  EXPECT_TRUE(authenticator_.VerifyBlocking(keys_.assign_).ok());  // still cached
  now_ += seconds(2);
  absl::StatusOr<Principal> refused = authenticator_.VerifyBlocking(keys_.assign_);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(std::string(refused.status().message()), "API key 'flags' was revoked by ops");
}

TEST_F(AuthenticatorTest, InvalidateForgetsAtOnce) {
  ASSERT_TRUE(authenticator_.VerifyBlocking(keys_.assign_).ok());
  keys_.Revoke(keys_.assign_);
  authenticator_.Invalidate(keys_.assign_.substr(5, 8));
  EXPECT_EQ(authenticator_.VerifyBlocking(keys_.assign_).status().code(),
            absl::StatusCode::kUnauthenticated);
}

TEST_F(AuthenticatorTest, WrongSecretWithAKnownPrefixIsUnknown) {
  std::string forged = keys_.admin_;
  forged.back() = forged.back() == '0' ? '1' : '0';
  EXPECT_EQ(authenticator_.VerifyBlocking(forged).status().code(),
            absl::StatusCode::kUnauthenticated);
  // The genuine key still works (the forged attempt cached only the row, not a verdict).
  EXPECT_TRUE(authenticator_.VerifyBlocking(keys_.admin_).ok());
}

TEST_F(AuthenticatorTest, DatabaseOutageKeepsRecentlyVerifiedKeysWorking) {
  ASSERT_TRUE(authenticator_.VerifyBlocking(keys_.assign_).ok());
  keys_.down_ = true;
  now_ += seconds(60);
  absl::StatusOr<Principal> during = authenticator_.VerifyBlocking(keys_.assign_);
  EXPECT_TRUE(during.ok()) << during.status();
  // A key never verified cannot be checked while the database is down.
  EXPECT_EQ(authenticator_.VerifyBlocking(keys_.admin_).status().code(),
            absl::StatusCode::kUnavailable);
  // Beyond the grace period the cached verdict is not trusted any more.
  now_ += std::chrono::minutes(10);
  EXPECT_EQ(authenticator_.VerifyBlocking(keys_.assign_).status().code(),
            absl::StatusCode::kUnavailable);
}

TEST_F(AuthenticatorTest, MalformedKeysNeverReachTheDatabase) {
  auto cached = authenticator_.VerifyCached("lift_nothex");
  ASSERT_TRUE(cached.has_value());
  EXPECT_EQ(cached->status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(keys_.lookups_, 0);
}

class AuthInterceptorTest : public AuthenticatorTest {
 protected:
  AuthInterceptorTest()
      : limiter_(/*rate_per_second=*/1, /*burst=*/2),
        executor_(1, 10),
        interceptor_(&authenticator_, &limiter_, &executor_) {}
  AuthDecision Decide(std::string_view path, std::optional<std::string> token) {
    std::optional<std::string> header;
    if (token) header = "Bearer " + *token;
    return interceptor_.DecideBlocking(
        path, header ? std::optional<std::string_view>(*header) : std::nullopt);
  }
  RateLimiter limiter_;
  BlockingExecutor executor_;
  AuthInterceptor interceptor_;
};

TEST_F(AuthInterceptorTest, DecidesInTheDocumentedOrder) {
  EXPECT_TRUE(Decide("/lift.v1.SystemService/Ping", std::nullopt).status.ok());
  EXPECT_TRUE(Decide("/grpc.health.v1.Health/Check", std::nullopt).status.ok());

  AuthDecision undeclared = Decide("/lift.v1.Secret/Dump", keys_.admin_);
  EXPECT_EQ(undeclared.status.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(std::string(undeclared.status.message()), HasSubstr("no scope declared"));

  AuthDecision missing = Decide("/lift.v1.AssignmentService/Assign", std::nullopt);
  EXPECT_EQ(missing.status.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(std::string(missing.status.message()),
            "missing API key: send 'authorization: Bearer <key>' metadata");

  AuthDecision assign = Decide("/lift.v1.AssignmentService/Assign", keys_.assign_);
  EXPECT_TRUE(assign.status.ok());
  EXPECT_EQ(assign.key_name, "flags");

  AuthDecision denied = Decide("/lift.v1.ExperimentService/CreateExperiment", keys_.assign_);
  EXPECT_EQ(denied.status.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(std::string(denied.status.message()),
              HasSubstr("CreateExperiment requires scope 'admin'; API key 'flags'"));
}

TEST_F(AuthInterceptorTest, RateLimitsAdminMethodsOnly) {
  EXPECT_TRUE(Decide("/lift.v1.KeyService/ListKeys", keys_.admin_).status.ok());
  EXPECT_TRUE(Decide("/lift.v1.KeyService/ListKeys", keys_.admin_).status.ok());
  AuthDecision limited = Decide("/lift.v1.KeyService/ListKeys", keys_.admin_);
  EXPECT_EQ(limited.status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(std::string(limited.status.message()), HasSubstr("retry in"));
  // An admin key calling a read method is not limited.
  for (int i = 0; i < 10; ++i) {
    EXPECT_TRUE(Decide("/lift.v1.MetricService/ListMetrics", keys_.admin_).status.ok());
  }
}

}  // namespace
}  // namespace lift::auth

// Token buckets for admin RPCs (server/auth/rate_limiter.h), on an injected clock.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>

#include "server/auth/rate_limiter.h"

namespace lift::auth {
namespace {

using std::chrono::milliseconds;
using ::testing::HasSubstr;

const Clock::time_point kStart = Clock::time_point() + std::chrono::hours(1);

TEST(TokenBucketTest, AllowsTheBurstThenRefillsAtTheRate) {
  TokenBucket bucket(/*rate_per_second=*/10, /*burst=*/3, kStart);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(bucket.Take(kStart).count(), 0) << i;
  // Empty: one token comes after 1/10 s.
  EXPECT_EQ(bucket.Take(kStart), std::chrono::nanoseconds(100'000'000));
  EXPECT_EQ(bucket.Take(kStart + milliseconds(40)), std::chrono::nanoseconds(60'000'000));
  EXPECT_EQ(bucket.Take(kStart + milliseconds(100)).count(), 0);
  EXPECT_GT(bucket.Take(kStart + milliseconds(100)).count(), 0);
}

TEST(TokenBucketTest, NeverHoldsMoreThanTheBurst) {
  TokenBucket bucket(10, 2, kStart);
  const auto later = kStart + std::chrono::hours(1);
  EXPECT_EQ(bucket.Take(later).count(), 0);
  EXPECT_EQ(bucket.Take(later).count(), 0);
  EXPECT_GT(bucket.Take(later).count(), 0);
}

TEST(RateLimiterTest, LimitsEachKeySeparatelyWithARetryHint) {
  RateLimiter limiter(/*rate_per_second=*/20, /*burst=*/40);
  for (int i = 0; i < 40; ++i) ASSERT_TRUE(limiter.Admit("ops", kStart).ok()) << i;
  const absl::Status refused = limiter.Admit("ops", kStart);
  EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(std::string(refused.message()),
            "API key 'ops' exceeded the admin rate limit of 20 requests/s (burst 40); retry in "
            "0.050 s");
  EXPECT_TRUE(limiter.Admit("other", kStart).ok());
  EXPECT_TRUE(limiter.Admit("ops", kStart + milliseconds(50)).ok());
}

TEST(RateLimiterTest, ZeroRateDisablesTheLimit) {
  RateLimiter limiter(0, 0);
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(limiter.Admit("ops", kStart).ok());
}

}  // namespace
}  // namespace lift::auth

// Per-key rate limits for admin-scope RPCs: one token bucket per API key name.
//
// A bucket holds at most `burst` tokens and refills at `rate_per_second`; each admitted call takes
// one token. A call finding the bucket empty is refused with RESOURCE_EXHAUSTED and told how long
// until a token is available. The clock is passed in, so tests need no sleeping.
//
// Thread safety: TokenBucket is not thread-safe; RateLimiter is (one mutex around the map).
#ifndef LIFT_SERVER_AUTH_RATE_LIMITER_H_
#define LIFT_SERVER_AUTH_RATE_LIMITER_H_

#include <chrono>
#include <mutex>
#include <string>
#include <unordered_map>

#include "absl/status/status.h"

namespace lift::auth {

using Clock = std::chrono::steady_clock;

class TokenBucket {
 public:
  // Starts full. rate_per_second > 0, burst >= 1.
  TokenBucket(double rate_per_second, double burst, Clock::time_point now);

  // Takes one token at `now`. Returns zero when taken, otherwise the wait until one token will be
  // available (nothing is taken).
  std::chrono::nanoseconds Take(Clock::time_point now);

 private:
  double rate_per_second_;
  double burst_;
  double tokens_;
  Clock::time_point last_;
};

class RateLimiter {
 public:
  // rate_per_second <= 0 disables the limit (Admit always OK).
  RateLimiter(double rate_per_second, double burst);

  // OK when `key_name` may make one more admin call at `now`; otherwise ResourceExhausted:
  // "API key 'NAME' exceeded the admin rate limit of R requests/s (burst B); retry in S s".
  absl::Status Admit(const std::string& key_name, Clock::time_point now = Clock::now());

 private:
  const double rate_per_second_;
  const double burst_;
  std::mutex mutex_;
  std::unordered_map<std::string, TokenBucket> buckets_;
};

}  // namespace lift::auth

#endif  // LIFT_SERVER_AUTH_RATE_LIMITER_H_

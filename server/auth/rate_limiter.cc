#include "server/auth/rate_limiter.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_format.h"

namespace lift::auth {

TokenBucket::TokenBucket(double rate_per_second, double burst, Clock::time_point now)
    : rate_per_second_(rate_per_second), burst_(burst), tokens_(burst), last_(now) {}

std::chrono::nanoseconds TokenBucket::Take(Clock::time_point now) {
  if (now > last_) {
    const double elapsed = std::chrono::duration<double>(now - last_).count();
    tokens_ = std::min(burst_, tokens_ + elapsed * rate_per_second_);
    last_ = now;
  }
  if (tokens_ >= 1.0) {
    tokens_ -= 1.0;
    return std::chrono::nanoseconds(0);
  }
  const double wait_seconds = (1.0 - tokens_) / rate_per_second_;
  return std::chrono::nanoseconds(
      std::max<int64_t>(1, static_cast<int64_t>(std::ceil(wait_seconds * 1e9))));
}

RateLimiter::RateLimiter(double rate_per_second, double burst)
    : rate_per_second_(rate_per_second), burst_(std::max(1.0, burst)) {}

absl::Status RateLimiter::Admit(const std::string& key_name, Clock::time_point now) {
  if (rate_per_second_ <= 0) return absl::OkStatus();
  std::chrono::nanoseconds wait;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = buckets_.find(key_name);
    if (it == buckets_.end()) {
      it = buckets_.emplace(key_name, TokenBucket(rate_per_second_, burst_, now)).first;
    }
    wait = it->second.Take(now);
  }
  if (wait.count() == 0) return absl::OkStatus();
  return absl::ResourceExhaustedError(absl::StrFormat(
      "API key '%s' exceeded the admin rate limit of %g requests/s (burst %g); retry in %.3f s",
      key_name, rate_per_second_, burst_, std::chrono::duration<double>(wait).count()));
}

}  // namespace lift::auth

#include "stats/sufficient_statistics.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"

namespace lift::stats {
namespace {

// Relative slack for Σy² >= (Σy)²/n: sums of doubles carry rounding error proportional to their size.
constexpr double kConsistencySlack = 1e-9;

absl::Status CheckFinite(double value, const char* prefix, const char* field) {
  if (std::isfinite(value)) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(prefix, field, " must be finite, got ", value));
}

absl::Status CheckCount(int64_t n, const char* prefix) {
  if (n >= 0) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(prefix, "n must be >= 0, got ", n));
}

// Σv² must be at least (Σv)²/n (Cauchy–Schwarz), up to rounding.
absl::Status CheckSquares(int64_t n, double sum, double sum_sq, const char* prefix,
                          const char* sum_field, const char* sum_sq_field) {
  if (n == 0) {
    if (sum != 0.0 || sum_sq != 0.0) {
      return absl::InvalidArgumentError(
          absl::StrCat(prefix, sum_field, " and ", prefix, sum_sq_field, " must be 0 when n is 0"));
    }
    return absl::OkStatus();
  }
  const double floor = sum * sum / static_cast<double>(n);
  if (sum_sq < floor - kConsistencySlack * std::max(1.0, std::fabs(floor))) {
    return absl::InvalidArgumentError(absl::StrCat(
        prefix, sum_sq_field, " (", sum_sq, ") is inconsistent with n and ", prefix, sum_field,
        ": it must be at least ", sum_field, "^2/n = ", floor));
  }
  return absl::OkStatus();
}

double SampleCovariance(int64_t n, double sum_a, double sum_b, double sum_ab) {
  if (n < 2) return 0.0;
  const double count = static_cast<double>(n);
  return (sum_ab - sum_a * sum_b / count) / (count - 1.0);
}

}  // namespace

double MeanStats::Mean() const { return n == 0 ? 0.0 : sum / static_cast<double>(n); }

double MeanStats::Variance() const {
  return std::max(0.0, SampleCovariance(n, sum, sum, sum_sq));
}

MeanStats& MeanStats::operator+=(const MeanStats& other) {
  n += other.n;
  sum += other.sum;
  sum_sq += other.sum_sq;
  return *this;
}

MeanStats operator+(MeanStats a, const MeanStats& b) { return a += b; }

double CovariateStats::MeanX() const { return y.n == 0 ? 0.0 : sum_x / static_cast<double>(y.n); }

double CovariateStats::VarianceX() const {
  return std::max(0.0, SampleCovariance(y.n, sum_x, sum_x, sum_x_sq));
}

double CovariateStats::Covariance() const { return SampleCovariance(y.n, sum_x, y.sum, sum_xy); }

CovariateStats& CovariateStats::operator+=(const CovariateStats& other) {
  y += other.y;
  sum_x += other.sum_x;
  sum_x_sq += other.sum_x_sq;
  sum_xy += other.sum_xy;
  return *this;
}

CovariateStats operator+(CovariateStats a, const CovariateStats& b) { return a += b; }

RatioStats& RatioStats::operator+=(const RatioStats& other) {
  n += other.n;
  sum_num += other.sum_num;
  sum_num_sq += other.sum_num_sq;
  sum_den += other.sum_den;
  sum_den_sq += other.sum_den_sq;
  sum_num_den += other.sum_num_den;
  return *this;
}

RatioStats operator+(RatioStats a, const RatioStats& b) { return a += b; }

RatioCovariateStats& RatioCovariateStats::operator+=(const RatioCovariateStats& other) {
  post += other.post;
  pre += other.pre;
  sum_num_post_num_pre += other.sum_num_post_num_pre;
  sum_den_post_den_pre += other.sum_den_post_den_pre;
  sum_num_post_den_pre += other.sum_num_post_den_pre;
  sum_den_post_num_pre += other.sum_den_post_num_pre;
  return *this;
}

RatioCovariateStats operator+(RatioCovariateStats a, const RatioCovariateStats& b) {
  return a += b;
}

absl::Status ValidateMeanStats(const MeanStats& stats, const char* field_prefix) {
  if (auto s = CheckCount(stats.n, field_prefix); !s.ok()) return s;
  if (auto s = CheckFinite(stats.sum, field_prefix, "sum"); !s.ok()) return s;
  if (auto s = CheckFinite(stats.sum_sq, field_prefix, "sum_sq"); !s.ok()) return s;
  return CheckSquares(stats.n, stats.sum, stats.sum_sq, field_prefix, "sum", "sum_sq");
}

absl::Status ValidateCovariateStats(const CovariateStats& stats, const char* field_prefix) {
  if (auto s = ValidateMeanStats(stats.y, field_prefix); !s.ok()) return s;
  if (auto s = CheckFinite(stats.sum_x, field_prefix, "sum_x"); !s.ok()) return s;
  if (auto s = CheckFinite(stats.sum_x_sq, field_prefix, "sum_x2"); !s.ok()) return s;
  if (auto s = CheckFinite(stats.sum_xy, field_prefix, "sum_xy"); !s.ok()) return s;
  return CheckSquares(stats.y.n, stats.sum_x, stats.sum_x_sq, field_prefix, "sum_x", "sum_x2");
}

absl::Status ValidateRatioStats(const RatioStats& stats, const char* field_prefix) {
  if (auto s = CheckCount(stats.n, field_prefix); !s.ok()) return s;
  const std::pair<double, const char*> fields[] = {
      {stats.sum_num, "sum_num"},       {stats.sum_num_sq, "sum_num_sq"},
      {stats.sum_den, "sum_den"},       {stats.sum_den_sq, "sum_den_sq"},
      {stats.sum_num_den, "sum_num_den"}};
  for (const auto& [value, name] : fields) {
    if (auto s = CheckFinite(value, field_prefix, name); !s.ok()) return s;
  }
  if (auto s = CheckSquares(stats.n, stats.sum_num, stats.sum_num_sq, field_prefix, "sum_num",
                            "sum_num_sq");
      !s.ok())
    return s;
  return CheckSquares(stats.n, stats.sum_den, stats.sum_den_sq, field_prefix, "sum_den",
                      "sum_den_sq");
}

absl::Status ValidateRatioCovariateStats(const RatioCovariateStats& stats,
                                         const char* field_prefix) {
  const std::string post_prefix = absl::StrCat(field_prefix, "post.");
  const std::string pre_prefix = absl::StrCat(field_prefix, "pre.");
  if (auto s = ValidateRatioStats(stats.post, post_prefix.c_str()); !s.ok()) return s;
  if (auto s = ValidateRatioStats(stats.pre, pre_prefix.c_str()); !s.ok()) return s;
  if (stats.pre.n != stats.post.n) {
    return absl::InvalidArgumentError(absl::StrCat(field_prefix, "pre.n (", stats.pre.n,
                                                   ") must equal ", field_prefix, "post.n (",
                                                   stats.post.n, "): the same units"));
  }
  const std::pair<double, const char*> fields[] = {
      {stats.sum_num_post_num_pre, "sum_num_post_num_pre"},
      {stats.sum_den_post_den_pre, "sum_den_post_den_pre"},
      {stats.sum_num_post_den_pre, "sum_num_post_den_pre"},
      {stats.sum_den_post_num_pre, "sum_den_post_num_pre"}};
  for (const auto& [value, name] : fields) {
    if (auto s = CheckFinite(value, field_prefix, name); !s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace lift::stats

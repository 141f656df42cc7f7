// Additive sufficient statistics per arm: the only input of the estimators in lift_stats.
//
// Every struct is a sum over units, so statistics from cells, days or database shards combine
// exactly with `+`. `Validate*` checks what a caller (CSV file, SQL aggregate, API request) may get
// wrong and returns InvalidArgument naming the field. Plain value types; thread-compatible.
#ifndef LIFT_STATS_SUFFICIENT_STATISTICS_H_
#define LIFT_STATS_SUFFICIENT_STATISTICS_H_

#include <cstdint>

#include "absl/status/status.h"

namespace lift::stats {

// Per-unit metric values y: n, Σy, Σy². Also used for 0/1 (proportion) metrics, where Σy² == Σy.
struct MeanStats {
  int64_t n = 0;
  double sum = 0.0;
  double sum_sq = 0.0;

  double Mean() const;                // Σy / n; 0 when n == 0
  double Variance() const;            // sample variance (n - 1 denominator); 0 when n < 2
  MeanStats& operator+=(const MeanStats& other);
};
MeanStats operator+(MeanStats a, const MeanStats& b);

// Per-unit metric values y with a pre-period covariate x (CUPED): adds Σx, Σx², Σxy.
struct CovariateStats {
  MeanStats y;
  double sum_x = 0.0;
  double sum_x_sq = 0.0;
  double sum_xy = 0.0;

  double MeanX() const;               // Σx / n; 0 when n == 0
  double VarianceX() const;           // sample variance of x; 0 when n < 2
  double Covariance() const;          // sample covariance of (x, y); 0 when n < 2
  CovariateStats& operator+=(const CovariateStats& other);
};
CovariateStats operator+(CovariateStats a, const CovariateStats& b);

// Ratio metrics (Σnum / Σden over units, e.g. revenue per session): per-unit numerator and denominator.
struct RatioStats {
  int64_t n = 0;
  double sum_num = 0.0;
  double sum_num_sq = 0.0;
  double sum_den = 0.0;
  double sum_den_sq = 0.0;
  double sum_num_den = 0.0;

  RatioStats& operator+=(const RatioStats& other);
};
RatioStats operator+(RatioStats a, const RatioStats& b);

// A ratio metric with the same units' pre-period ratio as CUPED covariate: the post- and
// pre-period RatioStats plus the four cross products between the periods (post.n == pre.n).
struct RatioCovariateStats {
  RatioStats post;                    // the analysis window
  RatioStats pre;                     // the pre-period (e.g. 14 days before exposure)
  double sum_num_post_num_pre = 0.0;  // Σ num_post·num_pre
  double sum_den_post_den_pre = 0.0;  // Σ den_post·den_pre
  double sum_num_post_den_pre = 0.0;  // Σ num_post·den_pre
  double sum_den_post_num_pre = 0.0;  // Σ den_post·num_pre

  RatioCovariateStats& operator+=(const RatioCovariateStats& other);
};
RatioCovariateStats operator+(RatioCovariateStats a, const RatioCovariateStats& b);

// InvalidArgument when n < 0, a sum is not finite, or Σy² is smaller than (Σy)²/n beyond rounding
// (impossible for real data). `field_prefix` is prepended to the field names in the message
// (e.g. "variants[1].").
absl::Status ValidateMeanStats(const MeanStats& stats, const char* field_prefix = "");
absl::Status ValidateCovariateStats(const CovariateStats& stats, const char* field_prefix = "");
absl::Status ValidateRatioStats(const RatioStats& stats, const char* field_prefix = "");
// Also InvalidArgument when pre.n != post.n or a cross product is not finite. Fields are named
// "<prefix>post.sum_num", "<prefix>sum_num_post_num_pre", ...
absl::Status ValidateRatioCovariateStats(const RatioCovariateStats& stats,
                                         const char* field_prefix = "");

}  // namespace lift::stats

#endif  // LIFT_STATS_SUFFICIENT_STATISTICS_H_

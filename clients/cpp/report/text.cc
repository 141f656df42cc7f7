#include "clients/cpp/report/text.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace lift::report {
namespace {

std::string LowerSuffix(const std::string& name, const std::string& prefix) {
  return absl::AsciiStrToLower(name.rfind(prefix, 0) == 0 ? name.substr(prefix.size()) : name);
}

}  // namespace

std::string HtmlEscape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string MarkdownEscape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '\\': case '`': case '*': case '_': case '[': case ']': case '|': case '#':
        out += '\\';
        out += c;
        break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '\n': case '\r': out += ' '; break;
      default: out += c;
    }
  }
  return out;
}

std::string Percent(double fraction, int digits) {
  return absl::StrFormat("%+.*f%%", digits, 100 * fraction);
}

std::string Number(double value) {
  if (value == 0) return "0";  // no "-0"
  return absl::StrFormat("%.4g", value);
}

std::string Date(int64_t micros) {
  const int64_t day_micros = 86'400'000'000LL;
  int64_t z = micros / day_micros - (micros % day_micros < 0 ? 1 : 0);
  // Hinnant's civil_from_days.
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const int64_t m = mp < 10 ? mp + 3 : mp - 9;
  const int64_t y = yoe + era * 400 + (m <= 2);
  return absl::StrFormat("%04d-%02d-%02d", y, m, d);
}

std::string VerdictName(v1::Decision::Verdict verdict) {
  if (verdict == v1::Decision::VERDICT_UNSPECIFIED) return "-";
  const std::string name = v1::Decision::Verdict_Name(verdict);
  return name.rfind("VERDICT_", 0) == 0 ? name.substr(8) : name;
}

std::string RoleName(v1::MetricRole role) {
  return LowerSuffix(v1::MetricRole_Name(role), "METRIC_ROLE_");
}

std::string SeverityName(v1::ReviewAlert::Severity severity) {
  return LowerSuffix(v1::ReviewAlert::Severity_Name(severity), "SEVERITY_");
}

std::string AlertKindName(v1::ReviewAlert::Kind kind) {
  return LowerSuffix(v1::ReviewAlert::Kind_Name(kind), "KIND_");
}

std::string KeyResultStatusName(v1::KeyResultProgress::Status status) {
  if (status == v1::KeyResultProgress::STATUS_UNSPECIFIED) return "unknown";
  return LowerSuffix(v1::KeyResultProgress::Status_Name(status), "STATUS_");
}

std::string GuardrailLevelName(v1::GuardrailLevel::Level level) {
  if (level == v1::GuardrailLevel::LEVEL_UNSPECIFIED) return "none";
  return LowerSuffix(v1::GuardrailLevel::Level_Name(level), "LEVEL_");
}

const v1::Effect& PrimaryRelative(const v1::VariantEffect& effect) {
  return effect.primary_is_cuped() ? effect.cuped().relative() : effect.relative();
}

std::string Significance(const v1::VariantEffect& effect) {
  if (effect.has_guardrail()) {
    switch (effect.guardrail().status()) {
      case v1::GuardrailCheck::STATUS_PASS: return "pass";
      case v1::GuardrailCheck::STATUS_FAIL: return "fail";
      case v1::GuardrailCheck::STATUS_INCONCLUSIVE: return "inconclusive";
      default: break;
    }
  }
  if (effect.significant_better()) return "better";
  if (effect.significant_worse()) return "worse";
  return "none";
}

std::string UnicodeSparkline(const std::vector<std::optional<double>>& values) {
  static const char* const kBars[] = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
  double low = INFINITY, high = -INFINITY;
  for (const auto& value : values) {
    if (!value.has_value()) continue;
    low = std::min(low, *value);
    high = std::max(high, *value);
  }
  std::string out;
  for (const auto& value : values) {
    if (!value.has_value()) {
      out += ' ';
      continue;
    }
    const int level = high > low ? static_cast<int>(std::lround(7 * (*value - low) / (high - low)))
                                 : 3;
    out += kBars[std::clamp(level, 0, 7)];
  }
  return out;
}

std::string LaunchEffectText(const v1::LaunchMetricResult& result) {
  const v1::LaunchEffect& a = result.absolute();
  if (!a.valid()) return "not estimable";
  const auto signed_number = [](double v) { return absl::StrCat(v >= 0 ? "+" : "", Number(v)); };
  std::string text = absl::StrCat(signed_number(a.estimate()), " [", signed_number(a.ci_low()),
                                  ", ", signed_number(a.ci_high()), "]");
  if (result.relative().valid()) absl::StrAppend(&text, " (", Percent(result.relative().estimate()), ")");
  absl::StrAppend(&text, ", p = ", Number(a.p_value()));
  return text;
}

std::string LaunchPreTrendText(const v1::LaunchMetricResult& result) {
  const v1::PreTrendCheck& check = result.pre_trend();
  if (!check.placebo().valid()) return "not checked";
  if (check.flagged()) return absl::StrCat("diverging (p = ", Number(check.placebo().p_value()), ")");
  return absl::StrCat("ok (p = ", Number(check.placebo().p_value()), ")");
}

}  // namespace lift::report

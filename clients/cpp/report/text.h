// Text helpers shared by the Markdown and HTML renderers: escaping of user text, number and date
// formatting, and the display names of proto enumerations. Output is deterministic (no locale, no
// clock), so rendered reports can be compared with committed goldens.
//
// Thread safety: pure functions.
#ifndef LIFT_CLIENTS_CPP_REPORT_TEXT_H_
#define LIFT_CLIENTS_CPP_REPORT_TEXT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "lift/v1/readouts.pb.h"

namespace lift::report {

// `&`, `<`, `>`, `"` and `'` as character references: safe in element content and in quoted
// attribute values.
std::string HtmlEscape(const std::string& text);

// User text for a Markdown table cell or list item: Markdown punctuation (\ ` * _ [ ] | #) is
// backslash-escaped, `<` and `>` become &lt; / &gt; (so no raw HTML passes through), and line
// breaks become spaces.
std::string MarkdownEscape(const std::string& text);

// "+1.23%" of a fraction (0.0123), with `digits` decimals.
std::string Percent(double fraction, int digits = 2);
// A value with 4 significant digits ("%.4g").
std::string Number(double value);
// "YYYY-MM-DD" of a Unix epoch microsecond instant (UTC).
std::string Date(int64_t micros);
// A launch's difference-in-differences for one metric, as plain text: "+0.123 [+0.05, +0.2]
// (+4.10%), p = 0.003"; "not estimable" when invalid. `pre_trend` is "ok", "diverging (p = …)"
// or "not checked".
std::string LaunchEffectText(const v1::LaunchMetricResult& result);
std::string LaunchPreTrendText(const v1::LaunchMetricResult& result);

// "SHIP", "DONT_SHIP", "INVALID", "KEEP_RUNNING" ("-" when unspecified).
std::string VerdictName(v1::Decision::Verdict verdict);
// "success", "secondary", "guardrail".
std::string RoleName(v1::MetricRole role);
// "critical", "warning", "info"; "threshold", "anomaly", "tracking_gap", "experiment".
std::string SeverityName(v1::ReviewAlert::Severity severity);
std::string AlertKindName(v1::ReviewAlert::Kind kind);
// "on_track", "at_risk", "off_track", "unknown"; "green", "yellow", "red", "none".
std::string KeyResultStatusName(v1::KeyResultProgress::Status status);
std::string GuardrailLevelName(v1::GuardrailLevel::Level level);

// The relative effect a decision used (CUPED when it was the primary estimate).
const v1::Effect& PrimaryRelative(const v1::VariantEffect& effect);
// "better", "worse", "pass", "fail", "inconclusive" or "none": the colour class of an effect.
std::string Significance(const v1::VariantEffect& effect);

// A Unicode sparkline (▁▂▃▄▅▆▇█) of the defined values; ' ' for undefined ones.
std::string UnicodeSparkline(const std::vector<std::optional<double>>& values);

}  // namespace lift::report

#endif  // LIFT_CLIENTS_CPP_REPORT_TEXT_H_

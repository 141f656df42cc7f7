#include "clients/cpp/analyze/report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string_view>
#include <utility>

namespace lift::analyze {
namespace {

// A variant's unit count and its mean (Σnum/Σden for ratio metrics, 0 when Σden is 0).
std::pair<int64_t, double> UnitsAndMean(const stats::VariantStats& variant, stats::MetricKind kind) {
  if (kind != stats::MetricKind::kRatio) return {variant.values.y.n, variant.values.y.Mean()};
  const auto& post = variant.ratio.post;
  return {post.n, post.sum_den != 0.0 ? post.sum_num / post.sum_den : 0.0};
}

using stats::Estimate;
using stats::ResultFlag;

// --- JSON pieces -----------------------------------------------------------------------------

Json FlagsJson(const std::vector<ResultFlag>& flags) {
  Json array = Json::array();
  for (ResultFlag flag : flags) array.push_back(std::string(stats::ResultFlagName(flag)));
  return array;
}

Json EstimateJson(const Estimate& estimate) {
  return Json{{"estimate", estimate.estimate}, {"se", estimate.se},
              {"ci_low", estimate.ci_low},     {"ci_high", estimate.ci_high},
              {"p_value", estimate.p_value},   {"df", estimate.df},
              {"valid", estimate.valid}};
}

Json EstimateJson(const Estimate& estimate, const std::vector<ResultFlag>& flags) {
  Json json = EstimateJson(estimate);
  json["flags"] = FlagsJson(flags);
  return json;
}

// --- Text formatting -------------------------------------------------------------------------

// Aligned columns: the first `left_columns` are left-aligned, the rest right-aligned.
class TextTable {
 public:
  explicit TextTable(size_t left_columns = 1) : left_columns_(left_columns) {}
  void AddRow(std::vector<std::string> row) { rows_.push_back(std::move(row)); }

  void Print(std::ostream& out, std::string_view indent = "") const {
    std::vector<size_t> widths;
    for (const auto& row : rows_) {
      if (widths.size() < row.size()) widths.resize(row.size(), 0);
      for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], Width(row[i]));
    }
    for (const auto& row : rows_) {
      std::string line(indent);
      for (size_t i = 0; i < row.size(); ++i) {
        const std::string padding(widths[i] - Width(row[i]), ' ');
        if (i > 0) line += "  ";
        line += i < left_columns_ ? row[i] + padding : padding + row[i];
      }
      while (!line.empty() && line.back() == ' ') line.pop_back();
      out << line << "\n";
    }
  }

 private:
  // Display width: counts UTF-8 code points (every text printed here is single-width).
  static size_t Width(const std::string& text) {
    size_t width = 0;
    for (unsigned char c : text) width += (c & 0xC0) != 0x80;
    return width;
  }

  size_t left_columns_;
  std::vector<std::vector<std::string>> rows_;
};

std::string Number(double value) { return fmt::format("{:.6g}", value); }
std::string Signed(double value) { return fmt::format("{:+.4g}", value); }
std::string Percent(double fraction) { return fmt::format("{:.1f}%", 100.0 * fraction); }
std::string SignedPercent(double fraction) { return fmt::format("{:+.2f}%", 100.0 * fraction); }
std::string RiskPercent(double fraction) { return fmt::format("{:.3f}%", 100.0 * fraction); }
std::string Chance(double p) { return p > 0.999 ? ">99.9%" : (p < 0.001 ? "<0.1%" : Percent(p)); }
std::string PValue(double p) { return p < 1e-4 ? "<0.0001" : fmt::format("{:.4f}", p); }
std::string Count(int64_t n) {
  std::string digits = std::to_string(n < 0 ? -n : n);
  std::string grouped;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) grouped += ',';
    grouped += digits[i];
  }
  return n < 0 ? "-" + grouped : grouped;
}

std::string FlagList(const std::vector<ResultFlag>& flags) {
  std::string text;
  for (ResultFlag flag : flags) {
    if (!text.empty()) text += ", ";
    text += stats::ResultFlagName(flag);
  }
  return text.empty() ? "-" : text;
}

// Cells "estimate", "[low, high]", "p" of an absolute (plain numbers) or relative (percent)
// estimate; "n/a" when there is no inference.
std::vector<std::string> EstimateCells(const Estimate& e, bool relative) {
  const std::string point = relative ? SignedPercent(e.estimate) : Signed(e.estimate);
  if (!e.valid) return {point, "n/a", "n/a"};
  const std::string interval =
      relative ? fmt::format("[{}, {}]", SignedPercent(e.ci_low), SignedPercent(e.ci_high))
               : fmt::format("[{}, {}]", Signed(e.ci_low), Signed(e.ci_high));
  return {point, interval, PValue(e.p_value)};
}

std::string PriorText(const stats::GaussianPrior& prior) {
  return prior.proper ? fmt::format("normal(mean {}, sd {})", Number(prior.mean), Number(prior.sd))
                      : "flat";
}

std::string ConfidenceLabel(double alpha) { return fmt::format("{:g}% CI", 100.0 * (1.0 - alpha)); }

}  // namespace

// --- ab ----------------------------------------------------------------------------------------

Json AbReportJson(const AbData& data, const stats::AbAnalysisSettings& settings,
                  const stats::AbAnalysisResult& result) {
  Json json;
  json["analysis"] = "ab";
  json["source"] = data.source;
  json["kind"] = std::string(stats::MetricKindName(result.kind));
  json["kind_inferred"] = data.kind_inferred;
  json["covariate"] = data.input.has_covariate;

  Json prior =
      settings.prior.proper
          ? Json{{"type", "normal"}, {"mean", settings.prior.mean}, {"sd", settings.prior.sd}}
          : Json{{"type", "flat"}};
  json["settings"] =
      Json{{"alpha", settings.analysis.alpha},
           {"min_n_per_arm", settings.analysis.min_n_per_arm},
           {"srm_threshold", settings.analysis.srm_threshold},
           {"correction", std::string(stats::CorrectionName(settings.correction))},
           {"direction", std::string(stats::DirectionName(settings.direction))},
           {"sequential", settings.sequential},
           {"sequential_tuning", settings.sequential_tuning},
           {"guardrail_margin",
            settings.guardrail_margin ? Json(*settings.guardrail_margin) : Json(nullptr)},
           {"prior", prior}};
  json["control"] = result.control_name;

  Json variants = Json::array();
  const double weight_total = std::accumulate(result.weights.begin(), result.weights.end(), 0.0);
  for (size_t i = 0; i < data.input.variants.size(); ++i) {
    const stats::VariantStats& variant = data.input.variants[i];
    const auto [n, mean] = UnitsAndMean(variant, result.kind);
    variants.push_back(
        Json{{"name", variant.name},
             {"n", n},
             {"mean", mean},
             {"weight", result.weights[i]},
             {"expected_fraction", result.weights[i] / weight_total},
             {"observed_fraction",
              i < result.srm.observed_fractions.size() ? result.srm.observed_fractions[i] : 0.0}});
  }
  json["variants"] = std::move(variants);
  json["srm"] = Json{{"chi2", result.srm.chi2},
                     {"p_value", result.srm.p_value},
                     {"df", result.srm.df},
                     {"flagged", result.srm.flagged},
                     {"threshold", settings.analysis.srm_threshold}};

  Json results = Json::array();
  for (const stats::VariantResult& v : result.results) {
    Json item;
    item["variant"] = v.name;
    item["n"] = v.n;
    item["mean"] = v.mean;
    item["control_n"] = v.control_n;
    item["control_mean"] = v.control_mean;
    item["absolute"] = EstimateJson(v.absolute);
    item["relative"] = EstimateJson(v.relative);
    if (v.cuped) {
      item["cuped"] = Json{{"theta", v.cuped->theta},
                           {"variance_reduction", v.cuped->variance_reduction},
                           {"adjusted", v.cuped->adjusted},
                           {"absolute", EstimateJson(v.cuped->absolute)},
                           {"relative", EstimateJson(v.cuped->relative)}};
    } else {
      item["cuped"] = nullptr;
    }
    item["primary"] = v.primary_is_cuped ? "cuped" : "plain";
    item["p_value"] = v.p_value;
    if (v.sequential) {
      item["sequential"] = Json{{"tuning", v.sequential->tuning},
                                {"total_n", v.sequential->total_n},
                                {"absolute", EstimateJson(v.sequential->absolute.effect)},
                                {"relative", EstimateJson(v.sequential->relative.effect)}};
    } else {
      item["sequential"] = nullptr;
    }
    item["bayesian"] = Json{{"chance_to_win", v.bayesian.chance_to_win},
                            {"risk_control", v.bayesian.risk_control},
                            {"risk_treatment", v.bayesian.risk_treatment},
                            {"posterior_mean", v.bayesian.posterior_mean},
                            {"posterior_sd", v.bayesian.posterior_sd},
                            {"ci_low", v.bayesian.ci_low},
                            {"ci_high", v.bayesian.ci_high},
                            {"valid", v.bayesian.valid}};
    if (v.guardrail) {
      item["guardrail"] =
          Json{{"margin", v.guardrail->margin},
               {"direction", std::string(stats::DirectionName(settings.direction))},
               {"status", std::string(stats::GuardrailStatusName(v.guardrail->status))},
               {"p_value", v.guardrail->p_value},
               {"lower_bound", v.guardrail->lower_bound},
               {"flags", FlagsJson(v.guardrail->flags)}};
    } else {
      item["guardrail"] = nullptr;
    }
    item["adjusted_p_value"] = v.adjusted_p_value;
    item["flags"] = FlagsJson(v.flags);
    results.push_back(std::move(item));
  }
  json["results"] = std::move(results);
  return json;
}

void PrintAbReport(const AbData& data, const stats::AbAnalysisSettings& settings,
                   const stats::AbAnalysisResult& result, std::ostream& out) {
  const double alpha = settings.analysis.alpha;
  out << fmt::format("A/B analysis of {}: {} metric{}, {} variants, control \"{}\"\n", data.source,
                     stats::MetricKindName(result.kind), data.kind_inferred ? " (inferred)" : "",
                     data.input.variants.size(), result.control_name);
  std::string options = fmt::format(
      "alpha {:g} (two-sided), correction {}, CUPED {}, sequential {}", alpha,
      stats::CorrectionName(settings.correction), data.input.has_covariate ? "on" : "off",
      settings.sequential ? fmt::format("on (tuning {:g})", settings.sequential_tuning)
                          : std::string("off"));
  out << options
      << fmt::format(", prior {}, direction {}\n", PriorText(settings.prior),
                     stats::DirectionName(settings.direction));
  out << fmt::format("Sample ratio: chi2 = {:.4g} (df {}), p = {}: {}\n\n", result.srm.chi2,
                     result.srm.df, PValue(result.srm.p_value),
                     result.srm.flagged ? "MISMATCH - assignment or logging is broken; do not "
                                          "trust the results below"
                                        : "ok");

  TextTable arms;
  arms.AddRow({"variant", "units", "share", "expected", "mean"});
  const double weight_total = std::accumulate(result.weights.begin(), result.weights.end(), 0.0);
  for (size_t i = 0; i < data.input.variants.size(); ++i) {
    const stats::VariantStats& variant = data.input.variants[i];
    const auto [n, mean] = UnitsAndMean(variant, result.kind);
    std::string name = variant.name;
    if (static_cast<int>(i) == result.control_index && name != "control") name += " (control)";
    arms.AddRow(
        {name, Count(n),
         Percent(i < result.srm.observed_fractions.size() ? result.srm.observed_fractions[i] : 0.0),
         Percent(result.weights[i] / weight_total), Number(mean)});
  }
  arms.Print(out);
  out << "\n";

  const std::string ci = ConfidenceLabel(alpha);
  TextTable effects(2);
  effects.AddRow({"vs control", "estimate", "absolute", ci, "p", "relative", ci, "p"});
  for (const stats::VariantResult& v : result.results) {
    auto add = [&](const std::string& variant, const std::string& label, const Estimate& absolute,
                   const Estimate& relative) {
      std::vector<std::string> row = {variant, label};
      for (std::string& cell : EstimateCells(absolute, false)) row.push_back(std::move(cell));
      for (std::string& cell : EstimateCells(relative, true)) row.push_back(std::move(cell));
      effects.AddRow(std::move(row));
    };
    add(v.name, "plain", v.absolute, v.relative);
    if (v.cuped && v.cuped->adjusted) {
      add("", "CUPED", v.cuped->absolute, v.cuped->relative);
    }
    if (v.sequential) {
      add("", v.primary_is_cuped ? "sequential (CUPED)" : "sequential",
          v.sequential->absolute.effect, v.sequential->relative.effect);
    }
  }
  effects.Print(out);

  if (data.input.has_covariate) {
    out << "\n";
    TextTable cuped;
    cuped.AddRow({"CUPED", "theta", "variance reduction", "adjusted"});
    for (const stats::VariantResult& v : result.results) {
      if (!v.cuped) continue;
      cuped.AddRow({v.name, Number(v.cuped->theta), Percent(v.cuped->variance_reduction),
                    v.cuped->adjusted ? "yes" : "no (plain estimate used)"});
    }
    cuped.Print(out);
  }

  out << "\n";
  TextTable summary;
  std::vector<std::string> header = {
      "summary",        settings.sequential ? "p (always-valid)" : "p",
      "adjusted p",     "chance to win",
      "risk (control)", "risk (treatment)"};
  if (settings.guardrail_margin) {
    header.push_back(fmt::format("guardrail (margin {})", Percent(*settings.guardrail_margin)));
  }
  header.push_back("flags");
  summary.AddRow(header);
  for (const stats::VariantResult& v : result.results) {
    std::vector<std::string> row = {
        v.name,
        PValue(v.p_value),
        PValue(v.adjusted_p_value),
        v.bayesian.valid ? Chance(v.bayesian.chance_to_win) : "n/a",
        v.bayesian.valid ? RiskPercent(v.bayesian.risk_control) : "n/a",
        v.bayesian.valid ? RiskPercent(v.bayesian.risk_treatment) : "n/a"};
    if (settings.guardrail_margin) {
      row.push_back(v.guardrail ? std::string(stats::GuardrailStatusName(v.guardrail->status))
                                : "-");
    }
    row.push_back(FlagList(v.flags));
    summary.AddRow(std::move(row));
  }
  summary.Print(out);
  out << "\np: the test of the absolute effect of "
      << (data.input.has_covariate ? "the CUPED estimate (the plain one where CUPED fell back)"
                                   : "the plain estimate")
      << (settings.sequential ? ", always-valid (safe to look at repeatedly)" : "") << ".";
  if (settings.correction != stats::Correction::kNone) {
    out << fmt::format(
        " Adjusted p: {} across {} treatment{}.",
        settings.correction == stats::Correction::kHolm ? "Holm" : "Benjamini-Hochberg",
        result.results.size(), result.results.size() == 1 ? "" : "s");
  }
  out << "\nrelative = (treatment - control) / |control|; chance to win and risks (expected "
         "relative loss of choosing each arm) come from the Bayesian model of the relative lift.\n";
}

// --- did ---------------------------------------------------------------------------------------

std::vector<PeriodMeans> MeansByPeriod(const DidData& data) {
  std::vector<PeriodMeans> periods(data.periods.size());
  for (size_t t = 0; t < periods.size(); ++t) {
    periods[t].period = data.periods[t];
    periods[t].post = static_cast<int64_t>(t) >= data.first_post_period;
  }
  for (const stats::PanelObservation& o : data.observations) {
    stats::MeanStats& cell = o.treated ? periods[o.period].treatment : periods[o.period].control;
    cell += stats::MeanStats{1, o.value, o.value * o.value};
  }
  return periods;
}

Json DidReportJson(const DidData& data, const DidReport& report) {
  const stats::TwfeDidResult& twfe = report.twfe;
  Json json;
  json["analysis"] = "did";
  json["source"] = data.source;
  json["method"] = std::string(stats::DidMethodName(twfe.did.method));
  const Estimate& e = twfe.did.effect;
  json["estimate"] = e.estimate;
  json["se"] = e.se;
  json["ci_low"] = e.ci_low;
  json["ci_high"] = e.ci_high;
  json["p_value"] = e.p_value;
  json["df"] = e.df;
  json["valid"] = e.valid;
  json["flags"] = FlagsJson(twfe.did.flags);
  json["pre_trend"] = EstimateJson(twfe.pre_trend, twfe.pre_trend_flags);
  Json panel = EstimateJson(report.panel.effect, report.panel.flags);
  panel["method"] = std::string(stats::DidMethodName(report.panel.method));
  panel["treated_units"] = report.changes.treated.n;
  panel["control_units"] = report.changes.control.n;
  panel["units_dropped"] = report.changes.units_dropped;
  json["panel_2x2"] = std::move(panel);
  json["alpha"] = report.alpha;
  json["post_from"] = report.post_from;
  json["first_post_period"] = data.periods[data.first_post_period];
  json["periods_are_dates"] = data.periods_are_dates;
  json["n_observations"] = twfe.n_observations;
  json["n_units"] = twfe.n_units;
  json["n_treated_units"] = twfe.n_treated_units;
  json["n_periods"] = twfe.n_periods;
  json["n_pre_periods"] = twfe.n_pre_periods;
  json["cr1_factor"] = twfe.cr1_factor;
  Json periods = Json::array();
  for (const PeriodMeans& p : report.periods) {
    periods.push_back(
        Json{{"period", p.period},
             {"post", p.post},
             {"treatment_mean", p.treatment.n > 0 ? Json(p.treatment.Mean()) : Json()},
             {"treatment_n", p.treatment.n},
             {"control_mean", p.control.n > 0 ? Json(p.control.Mean()) : Json()},
             {"control_n", p.control.n}});
  }
  json["periods"] = std::move(periods);
  return json;
}

void PrintDidReport(const DidData& data, const DidReport& report, std::ostream& out) {
  const stats::TwfeDidResult& twfe = report.twfe;
  out << fmt::format(
      "Difference-in-differences of {}: {} units ({} treated), {} periods ({} before {}), {} rows\n"
      "periods ordered {}; alpha {:g}\n\n",
      data.source, Count(twfe.n_units), Count(twfe.n_treated_units), twfe.n_periods,
      twfe.n_pre_periods, data.periods[data.first_post_period], Count(twfe.n_observations),
      data.periods_are_dates ? "by date" : "by first appearance in the file", report.alpha);
  const std::string ci = ConfidenceLabel(report.alpha);
  TextTable table;
  table.AddRow({"method", "estimate", ci, "p", "flags"});
  auto add = [&](const std::string& label, const Estimate& e,
                 const std::vector<ResultFlag>& flags) {
    std::vector<std::string> cells = EstimateCells(e, false);
    table.AddRow({label, cells[0], cells[1], cells[2], FlagList(flags)});
  };
  add("two-way fixed effects (unit-clustered)", twfe.did.effect, twfe.did.flags);
  add("pre-trend placebo (pre-periods only)", twfe.pre_trend, twfe.pre_trend_flags);
  add(fmt::format("2x2 on per-unit changes ({} units)",
                  Count(report.changes.treated.n + report.changes.control.n)),
      report.panel.effect, report.panel.flags);
  table.Print(out);

  out << "\n";
  TextTable periods;
  periods.AddRow({"period", "", "treatment mean", "units", "control mean", "units"});
  for (const PeriodMeans& p : report.periods) {
    periods.AddRow({p.period, p.post ? "post" : "pre",
                    p.treatment.n > 0 ? Number(p.treatment.Mean()) : "-", Count(p.treatment.n),
                    p.control.n > 0 ? Number(p.control.Mean()) : "-", Count(p.control.n)});
  }
  periods.Print(out);
  if (twfe.pre_trend.valid && twfe.pre_trend.p_value < report.alpha) {
    out << fmt::format(
        "\nwarning: the pre-trend check is significant (p = {}): the groups were "
        "already diverging before {}, so the estimate may be biased.\n",
        PValue(twfe.pre_trend.p_value), data.periods[data.first_post_period]);
  }
}

// --- power -------------------------------------------------------------------------------------

Json PowerReportJson(const PowerReport& report) {
  Json json;
  json["analysis"] = "power";
  json["kind"] = std::string(stats::MetricKindName(report.kind));
  json["alpha"] = report.settings.alpha;
  json["power"] = report.settings.power;
  json["arms"] = report.settings.arms;
  if (report.kind == stats::MetricKind::kProportion) {
    json["rate"] = report.rate;
  } else {
    json["mean"] = report.mean;
    json["sd"] = report.sd;
  }
  json["mde"] = report.mde;
  json["mde_solved"] = report.mde_solved;
  json["effect_size"] = report.mde_solved ? Json() : Json(report.sample_size.effect_size);
  json["n_per_arm"] = report.sample_size.n_per_arm;
  json["n_per_arm_exact"] = report.sample_size.n_per_arm_exact;
  json["total_n"] = report.sample_size.total_n;
  json["daily_units"] = report.daily_units ? Json(*report.daily_units) : Json();
  json["days"] = report.duration ? Json(report.duration->days) : Json();
  json["days_exact"] = report.duration ? Json(report.duration->days_exact) : Json();
  return json;
}

void PrintPowerReport(const PowerReport& report, std::ostream& out) {
  const std::string metric =
      report.kind == stats::MetricKind::kProportion
          ? fmt::format("a conversion rate of {}", Percent(report.rate))
          : fmt::format("a mean metric (mean {}, sd {})", Number(report.mean), Number(report.sd));
  if (report.mde_solved) {
    out << fmt::format(
        "Minimum detectable effect for {} with {} units per arm, {} arms: {} (relative)\n", metric,
        Count(report.sample_size.n_per_arm), report.settings.arms, SignedPercent(report.mde));
  } else {
    out << fmt::format("Sample size to detect a relative change of {} in {}\n",
                       SignedPercent(report.mde), metric);
  }
  out << fmt::format("alpha {:g} (two-sided), power {}, {} arms\n\n", report.settings.alpha,
                     Percent(report.settings.power), report.settings.arms);
  TextTable table(0);
  std::vector<std::string> header = {"units per arm", "total units"};
  std::vector<std::string> row = {Count(report.sample_size.n_per_arm),
                                  Count(report.sample_size.total_n)};
  if (report.duration) {
    header.push_back(fmt::format("days at {} units/day", Number(*report.daily_units)));
    row.push_back(Count(report.duration->days));
  }
  table.AddRow(header);
  table.AddRow(row);
  table.Print(out);
}

}  // namespace lift::analyze

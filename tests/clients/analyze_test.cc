// Tests of `liftctl analyze` (clients/cpp/analyze): the commands end to end through RunAnalyze,
// on the inputs in tests/clients/data/ whose expected numbers tests/reference/ref_analyze.py
// computed with scipy / statsmodels on the raw rows (expected.json); plus the CSV reader, input
// errors with line numbers and exit codes, and registration in a host CLI11 app.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "clients/cpp/analyze/ab_input.h"
#include "clients/cpp/analyze/analyze_command.h"
#include "clients/cpp/analyze/csv_reader.h"
#include "clients/cpp/analyze/did_input.h"

namespace lift::analyze {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using Json = nlohmann::json;

// Closed-form results must agree with the scipy / statsmodels references to 1e-6 relative.
constexpr double kRelativeTolerance = 1e-6;
constexpr double kAbsoluteFloor = 1e-12;

const std::string kDataDir = std::string(LIFT_SOURCE_DIR) + "/tests/clients/data/";

std::string DataFile(const std::string& name) { return kDataDir + name; }

const Json& Expected() {
  static const Json expected = [] {
    std::ifstream in(DataFile("expected.json"));
    if (!in) {
      ADD_FAILURE() << "cannot open expected.json (run /usr/bin/python3 "
                       "tests/reference/generate.py ref_analyze)";
      return Json::object();
    }
    return Json::parse(in);
  }();
  return expected;
}

::testing::AssertionResult Near(double actual, double expected,
                                double tolerance = kRelativeTolerance) {
  const double bound =
      tolerance * std::max(std::fabs(actual), std::fabs(expected)) + kAbsoluteFloor;
  if (std::fabs(actual - expected) <= bound) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << actual << " differs from expected " << expected;
}

// Compares the keys present in `expected` ({estimate, se, ci_low, ci_high, p_value, df}).
void ExpectEstimate(const Json& actual, const Json& expected, const std::string& what) {
  SCOPED_TRACE(what);
  ASSERT_TRUE(actual.is_object()) << actual.dump();
  for (const auto& [key, value] : expected.items()) {
    if (!value.is_number()) continue;
    ASSERT_TRUE(actual.contains(key)) << key;
    EXPECT_TRUE(Near(actual.at(key).get<double>(), value.get<double>())) << key;
  }
}

struct Outcome {
  int code = -1;
  std::string out;
  std::string err;
  Json json() const {
    try {
      return Json::parse(out);
    } catch (const Json::exception& e) {
      ADD_FAILURE() << "stdout is not one JSON object: " << e.what() << "\n" << out;
      return Json::object();
    }
  }
};

Outcome Analyze(const std::vector<std::string>& args) {
  std::ostringstream out, err;
  Outcome outcome;
  outcome.code = RunAnalyze(args, out, err);
  outcome.out = out.str();
  outcome.err = err.str();
  return outcome;
}

// Writes `contents` to a fresh file in the test temp dir and returns its path.
std::string TempFile(const std::string& name, const std::string& contents) {
  const std::string path = ::testing::TempDir() + "/lift_analyze_" + name;
  std::ofstream(path, std::ios::binary) << contents;
  return path;
}

void ExpectFailure(const Outcome& outcome, int code, const std::string& substring) {
  EXPECT_EQ(outcome.code, code) << outcome.err;
  EXPECT_THAT(outcome.err, HasSubstr(substring));
  EXPECT_TRUE(outcome.out.empty()) << outcome.out;
}

// --- ab: mean metric with CUPED --------------------------------------------------------------

TEST(AnalyzeAbTest, MeanWithCupedMatchesScipyReferences) {
  const Json& e = Expected().at("ab_mean_cuped");
  const Outcome outcome = Analyze({"ab", "--csv", DataFile("ab_mean_cuped.csv"), "--sequential",
                                   "--guardrail-margin", "0.01", "--json"});
  ASSERT_EQ(outcome.code, 0) << outcome.err;
  const Json j = outcome.json();
  // Keys the issue names.
  for (const char* key : {"control", "srm", "results"}) EXPECT_TRUE(j.contains(key)) << key;
  EXPECT_EQ(j.at("control"), "control");  // named control, although treatment comes first
  EXPECT_EQ(j.at("kind"), "mean");
  EXPECT_EQ(j.at("kind_inferred"), true);
  EXPECT_EQ(j.at("covariate"), true);
  EXPECT_TRUE(Near(j.at("srm").at("chi2"), e.at("srm").at("chi2")));  // scipy chisquare
  EXPECT_TRUE(Near(j.at("srm").at("p_value"), e.at("srm").at("p_value")));
  EXPECT_EQ(j.at("srm").at("flagged"), false);
  ASSERT_EQ(j.at("results").size(), 1u);
  const Json& r = j.at("results")[0];
  for (const char* key : {"variant", "n", "mean", "control_mean", "absolute", "relative", "cuped",
                          "sequential", "bayesian", "guardrail", "adjusted_p_value", "flags"}) {
    EXPECT_TRUE(r.contains(key)) << key;
  }
  EXPECT_EQ(r.at("variant"), "treatment");
  EXPECT_EQ(r.at("n"), e.at("n"));
  EXPECT_EQ(r.at("control_n"), e.at("control_n"));
  EXPECT_TRUE(Near(r.at("mean"), e.at("mean")));
  EXPECT_TRUE(Near(r.at("control_mean"), e.at("control_mean")));
  // scipy.stats.ttest_ind(equal_var=False) and the delta-method relative lift.
  ExpectEstimate(r.at("absolute"), e.at("absolute"), "absolute");
  ExpectEstimate(r.at("relative"), e.at("relative"), "relative");
  // CUPED on the raw units (pooled theta).
  EXPECT_TRUE(Near(r.at("cuped").at("theta"), e.at("cuped").at("theta")));
  EXPECT_TRUE(Near(r.at("cuped").at("variance_reduction"), e.at("cuped").at("variance_reduction")));
  ExpectEstimate(r.at("cuped").at("absolute"), e.at("cuped").at("absolute"), "cuped absolute");
  ExpectEstimate(r.at("cuped").at("relative"), e.at("cuped").at("relative"), "cuped relative");
  EXPECT_EQ(r.at("primary"), "cuped");
  // Sequential (Waudby-Smith et al.), Bayesian and guardrail on the CUPED estimates.
  ExpectEstimate(r.at("sequential").at("absolute"), e.at("sequential").at("absolute"),
                 "sequential absolute");
  ExpectEstimate(r.at("sequential").at("relative"), e.at("sequential").at("relative"),
                 "sequential relative");
  for (const char* key : {"chance_to_win", "risk_control", "risk_treatment"}) {
    EXPECT_TRUE(Near(r.at("bayesian").at(key), e.at("bayesian").at(key))) << key;
  }
  const Json& g = e.at("guardrail_0_01");
  EXPECT_EQ(r.at("guardrail").at("status"), g.at("status"));
  EXPECT_TRUE(Near(r.at("guardrail").at("p_value"), g.at("p_value")));
  EXPECT_TRUE(Near(r.at("guardrail").at("lower_bound"), g.at("lower_bound")));
  EXPECT_TRUE(Near(r.at("guardrail").at("margin"), 0.01));
  // One treatment: the adjusted p-value is the always-valid p of the CUPED absolute effect.
  EXPECT_TRUE(Near(r.at("p_value"), e.at("sequential").at("absolute").at("p_value")));
  EXPECT_TRUE(Near(r.at("adjusted_p_value"), e.at("sequential").at("absolute").at("p_value")));
  EXPECT_EQ(r.at("flags"), Json::array());
}

TEST(AnalyzeAbTest, StatsJsonGivesTheSameAnalysisAsTheUnits) {
  const Outcome from_csv = Analyze({"ab", "--csv", DataFile("ab_mean_cuped.csv"), "--json"});
  const Outcome from_stats = Analyze({"ab", "--stats", DataFile("ab_mean_cuped.json"), "--json"});
  ASSERT_EQ(from_csv.code, 0) << from_csv.err;
  ASSERT_EQ(from_stats.code, 0) << from_stats.err;
  const Json a = from_csv.json().at("results")[0];
  const Json b = from_stats.json().at("results")[0];
  EXPECT_EQ(from_stats.json().at("control"), "control");
  EXPECT_EQ(from_stats.json().at("kind_inferred"), false);
  for (const char* part : {"absolute", "relative"}) {
    ExpectEstimate(b.at(part), a.at(part), part);
    ExpectEstimate(b.at("cuped").at(part), a.at("cuped").at(part), part);
  }
  EXPECT_EQ(b.at("sequential"), nullptr);  // not asked for
  EXPECT_EQ(b.at("guardrail"), nullptr);
  const Json& e = Expected().at("ab_mean_cuped");
  ExpectEstimate(b.at("cuped").at("absolute"), e.at("cuped").at("absolute"), "vs reference");
  EXPECT_TRUE(Near(b.at("p_value"), e.at("cuped").at("absolute").at("p_value")));
}

TEST(AnalyzeAbTest, NoCupedAndExplicitKind) {
  const Json& e = Expected().at("ab_mean_cuped");
  Outcome outcome = Analyze(
      {"ab", "--csv", DataFile("ab_mean_cuped.csv"), "--no-cuped", "--json", "--sequential"});
  ASSERT_EQ(outcome.code, 0) << outcome.err;
  Json r = outcome.json().at("results")[0];
  EXPECT_EQ(r.at("cuped"), nullptr);
  EXPECT_EQ(r.at("primary"), "plain");
  ExpectEstimate(r.at("sequential").at("absolute"), e.at("plain_sequential_absolute"),
                 "sequential on the plain estimate");

  // --kind proportion on non-0/1 values names the first offending cell (line 2 is the first row).
  outcome = Analyze({"ab", "--csv", DataFile("ab_mean_cuped.csv"), "--kind", "proportion"});
  ExpectFailure(outcome, 1,
                "ab_mean_cuped.csv line 2, column 3 (value): value 7.74654 is not 0 or 1");
}

// --- ab: proportions across three arms, corrections, weights ----------------------------------

TEST(AnalyzeAbTest, ProportionsAcrossThreeArmsWithHolmAndBh) {
  const Json& e = Expected().at("ab_proportion_3arms");
  for (const std::string correction : {"holm", "bh"}) {
    SCOPED_TRACE(correction);
    const Outcome outcome = Analyze(
        {"ab", "--csv", DataFile("ab_proportion_3arms.csv"), "--correction", correction, "--json"});
    ASSERT_EQ(outcome.code, 0) << outcome.err;
    const Json j = outcome.json();
    EXPECT_EQ(j.at("kind"), "proportion");  // inferred from 0/1 values
    EXPECT_EQ(j.at("control"), "control");
    ASSERT_EQ(j.at("variants").size(), 3u);
    for (size_t i = 0; i < 3; ++i) {
      EXPECT_EQ(j.at("variants")[i].at("name"), e.at("variants_in_file_order")[i]);
    }
    ASSERT_EQ(j.at("results").size(), 2u);
    for (size_t i = 0; i < 2; ++i) {
      const Json& r = j.at("results")[i];
      const std::string name = e.at("treatments")[i];
      EXPECT_EQ(r.at("variant"), name);
      const Json& x = e.at("results").at(name);
      // statsmodels test_proportions_2indep / confint_proportions_2indep (wald).
      ExpectEstimate(r.at("absolute"), x.at("absolute"), name + " absolute");
      ExpectEstimate(r.at("relative"), x.at("relative"), name + " relative");
      EXPECT_EQ(r.at("absolute").at("df"), 0.0);
      // statsmodels multipletests over the two treatments.
      EXPECT_TRUE(Near(r.at("adjusted_p_value"), x.at(correction))) << name;
    }
  }
}

TEST(AnalyzeAbTest, WeightsFeedTheSampleRatioCheck) {
  const Json& e = Expected().at("ab_proportion_3arms").at("srm_weighted");
  Outcome outcome = Analyze({"ab", "--csv", DataFile("ab_proportion_3arms.csv"), "--weights",
                             "control=0.4, variant_a=0.3,variant_b=0.3", "--json"});
  ASSERT_EQ(outcome.code, 0) << outcome.err;
  const Json j = outcome.json();
  EXPECT_TRUE(Near(j.at("srm").at("chi2"), e.at("chi2")));  // scipy.stats.chisquare
  EXPECT_TRUE(Near(j.at("srm").at("p_value"), e.at("p_value")));
  for (const Json& variant : j.at("variants")) {
    EXPECT_TRUE(Near(variant.at("expected_fraction"), variant.at("name") == "control" ? 0.4 : 0.3))
        << variant.at("name");
  }

  outcome = Analyze({"ab", "--csv", DataFile("ab_proportion_3arms.csv"), "--weights",
                     "control=0.5,variant_a=0.5"});
  ExpectFailure(outcome, 1, "--weights gives no weight for variant \"variant_b\"");
  outcome = Analyze({"ab", "--csv", DataFile("ab_proportion_3arms.csv"), "--weights",
                     "control=1,variant_a=1,variant_b=1,variant_c=1"});
  ExpectFailure(outcome, 1, "--weights names \"variant_c\", which is not a variant");
  outcome = Analyze({"ab", "--csv", DataFile("ab_proportion_3arms.csv"), "--weights", "control:1"});
  ExpectFailure(outcome, 2, "--weights must look like control=0.5,treatment=0.5");
}

TEST(AnalyzeAbTest, MeanKindOnZeroOneValuesUsesWelch) {
  const Outcome outcome =
      Analyze({"ab", "--csv", DataFile("ab_proportion_3arms.csv"), "--kind", "mean", "--json"});
  ASSERT_EQ(outcome.code, 0) << outcome.err;
  const Json j = outcome.json();
  EXPECT_EQ(j.at("kind"), "mean");
  EXPECT_EQ(j.at("kind_inferred"), false);
  EXPECT_GT(j.at("results")[0].at("absolute").at("df").get<double>(), 100.0);  // Welch t
}

// --- ab: ratio metric ---------------------------------------------------------------------------

TEST(AnalyzeAbTest, RatioWithPrePeriodMatchesDeltaMethodReferences) {
  const Json& e = Expected().at("ab_ratio");
  const Outcome outcome = Analyze({"ab", "--csv", DataFile("ab_ratio.csv"), "--json"});
  ASSERT_EQ(outcome.code, 0) << outcome.err;
  const Json j = outcome.json();
  EXPECT_EQ(j.at("kind"), "ratio");
  EXPECT_EQ(j.at("control"), "A");  // no variant named control: the first in file order
  const Json& r = j.at("results")[0];
  EXPECT_EQ(r.at("variant"), "B");
  EXPECT_TRUE(Near(r.at("mean"), e.at("mean")));
  EXPECT_TRUE(Near(r.at("control_mean"), e.at("control_mean")));
  ExpectEstimate(r.at("absolute"), e.at("absolute"), "ratio absolute");
  ExpectEstimate(r.at("relative"), e.at("relative"), "ratio relative");
  EXPECT_TRUE(Near(r.at("cuped").at("theta"), e.at("cuped").at("theta")));
  EXPECT_TRUE(Near(r.at("cuped").at("variance_reduction"), e.at("cuped").at("variance_reduction")));
  ExpectEstimate(r.at("cuped").at("absolute"), e.at("cuped").at("absolute"), "cuped absolute");
  ExpectEstimate(r.at("cuped").at("relative"), e.at("cuped").at("relative"), "cuped relative");

  // --control B swaps the arms: the absolute effect flips sign, its p-value stays.
  const Outcome swapped =
      Analyze({"ab", "--csv", DataFile("ab_ratio.csv"), "--control", "B", "--no-cuped", "--json"});
  ASSERT_EQ(swapped.code, 0) << swapped.err;
  const Json s = swapped.json().at("results")[0];
  EXPECT_EQ(s.at("variant"), "A");
  EXPECT_TRUE(
      Near(s.at("absolute").at("estimate"), -e.at("absolute").at("estimate").get<double>()));
  EXPECT_TRUE(Near(s.at("absolute").at("p_value"), e.at("absolute").at("p_value")));
}

TEST(AnalyzeAbTest, HumanReadableTable) {
  const Outcome outcome =
      Analyze({"ab", "--csv", DataFile("ab_mean_cuped.csv"), "--sequential", "--guardrail-margin",
               "0.01", "--prior-mean", "0", "--prior-sd", "0.1"});
  ASSERT_EQ(outcome.code, 0) << outcome.err;
  EXPECT_THAT(outcome.out, HasSubstr("mean metric (inferred), 2 variants, control \"control\""));
  EXPECT_THAT(outcome.out, HasSubstr("Sample ratio: chi2 = 1.084 (df 1), p = 0.2977: ok"));
  EXPECT_THAT(outcome.out, HasSubstr("\ncontrol "));
  EXPECT_THAT(outcome.out, HasSubstr("sequential (CUPED)"));
  EXPECT_THAT(outcome.out, HasSubstr("prior normal(mean 0, sd 0.1)"));
  EXPECT_THAT(outcome.out, HasSubstr("guardrail (margin 1.0%)"));
  EXPECT_THAT(outcome.out, Not(HasSubstr("{")));
  // Columns are aligned: the estimate labels start where their header does.
  std::istringstream lines(outcome.out);
  std::string line;
  size_t header_offset = std::string::npos;
  std::vector<size_t> label_offsets;
  while (std::getline(lines, line)) {
    if (line.rfind("vs control", 0) == 0) header_offset = line.find("estimate");
    for (const char* label : {"plain", "CUPED", "sequential (CUPED)"}) {
      const size_t at = line.find(std::string("  ") + label + "  ");
      if (header_offset != std::string::npos && at != std::string::npos) {
        label_offsets.push_back(at + 2);
      }
    }
  }
  ASSERT_NE(header_offset, std::string::npos) << outcome.out;
  EXPECT_THAT(label_offsets, ElementsAre(header_offset, header_offset, header_offset))
      << outcome.out;
}

// --- ab: errors ---------------------------------------------------------------------------------

TEST(AnalyzeAbTest, BadFilesNameTheLineAndColumn) {
  Outcome outcome =
      Analyze({"ab", "--csv", TempFile("missing.csv", "unit_id,variant,amount\n1,a,2\n")});
  ExpectFailure(outcome, 1, "missing.csv line 1: missing column \"value\"");

  outcome =
      Analyze({"ab", "--csv", TempFile("nan.csv", "unit_id,variant,value\n1,a,2\n2,b,abc\n")});
  ExpectFailure(outcome, 1, "nan.csv line 3, column 3 (value): not a number: \"abc\"");

  outcome = Analyze({"ab", "--csv", TempFile("empty_value.csv", "variant,value\r\na,1\r\nb,\r\n")});
  ExpectFailure(outcome, 1, "empty_value.csv line 3, column 2 (value): empty value");

  outcome = Analyze({"ab", "--csv", TempFile("one.csv", "unit_id,variant,value\n1,a,2\n2,a,3\n")});
  ExpectFailure(outcome, 1,
                "every row (lines 2-3) has variant \"a\"; an A/B analysis needs at "
                "least two variants");

  outcome = Analyze({"ab", "--csv", TempFile("empty.csv", "")});
  ExpectFailure(outcome, 1,
                "empty.csv is empty: expected a header row such as unit_id,variant,value");

  outcome = Analyze({"ab", "--csv", TempFile("header_only.csv", "unit_id,variant,value\n\n")});
  ExpectFailure(outcome, 1, "header_only.csv: no data rows after the header (line 1)");

  outcome = Analyze({"ab", "--csv", TempFile("fields.csv", "unit_id,variant,value\n1,a,2\n2,b\n")});
  ExpectFailure(outcome, 1, "fields.csv line 3: expected 3 fields as in the header, got 2");

  outcome = Analyze(
      {"ab", "--csv", TempFile("dup.csv", "unit_id,variant,value\nu1,a,2\nu2,b,3\nu1,b,4\n")});
  ExpectFailure(outcome, 1,
                "dup.csv line 4, column 1 (unit_id): unit \"u1\" already appeared on "
                "line 2 (one row per unit)");

  outcome =
      Analyze({"ab", "--csv", TempFile("quote.csv", "unit_id,variant,value\n1,\"a,2\n2,b,3\n")});
  ExpectFailure(outcome, 1, "quote.csv line 2, column 2: quoted field is never closed");

  outcome = Analyze({"ab", "--csv", DataFile("ab_ratio.csv"), "--control", "C"});
  ExpectFailure(outcome, 1, "--control \"C\" is not a variant in");
  EXPECT_THAT(outcome.err, HasSubstr("(variants: \"A\", \"B\")"));

  outcome = Analyze({"ab", "--csv", DataFile("ab_ratio.csv"), "--kind", "mean"});
  ExpectFailure(outcome, 1, "ab_ratio.csv line 1: missing column \"value\"");

  outcome = Analyze({"ab", "--csv", ::testing::TempDir() + "/does_not_exist.csv"});
  ExpectFailure(outcome, 1, "cannot open");
  EXPECT_THAT(outcome.err, HasSubstr("does_not_exist.csv"));
}

TEST(AnalyzeAbTest, BadStatsJsonNamesTheField) {
  Outcome outcome =
      Analyze({"ab", "--stats", TempFile("bad.json", "{\"kind\": \"mean\",\n \"variants\": [}")});
  ExpectFailure(outcome, 1, "bad.json: not valid JSON");
  EXPECT_THAT(outcome.err, HasSubstr("line 2"));

  outcome = Analyze({"ab", "--stats", TempFile("missing.json", R"({"kind": "mean", "variants": [
                   {"name": "control", "n": 10, "sum": 5, "sum_sq": 10},
                   {"name": "treatment", "n": 10, "sum": 6}]})")});
  ExpectFailure(outcome, 1, "variants[1] (\"treatment\"): missing number \"sum_sq\"");

  outcome =
      Analyze({"ab", "--stats", TempFile("inconsistent.json", R"({"kind": "mean", "variants": [
                   {"name": "control", "n": 10, "sum": 5, "sum_sq": 10},
                   {"name": "treatment", "n": 10, "sum": 6, "sum_sq": 1}]})")});
  ExpectFailure(outcome, 1, "inconsistent.json: variants[1].sum_sq (1) is inconsistent");

  outcome =
      Analyze({"ab", "--stats", TempFile("one_variant.json", R"({"kind": "proportion", "variants": [
                   {"name": "control", "n": 10, "sum": 5}]})")});
  ExpectFailure(outcome, 1, "variants must hold at least two variants, got 1");

  outcome = Analyze({"ab", "--stats", TempFile("nokind.json", R"({"variants": []})")});
  ExpectFailure(outcome, 1, "missing \"kind\"");
}

TEST(AnalyzeAbTest, StatsJsonForProportionsAndRatios) {
  // Proportions: sum_sq may be omitted. Compared with the same counts in the 3-arm reference.
  const Json& e = Expected().at("ab_proportion_3arms").at("results").at("variant_a");
  const double n_c = 800;
  const double p_c = e.at("control_mean");
  const double n_t = e.at("n");
  const double p_t = e.at("mean");
  const std::string doc =
      Json{{"kind", "proportion"},
           {"variants",
            {{{"name", "control"}, {"n", n_c}, {"sum", std::round(p_c * n_c)}},
             {{"name", "variant_a"}, {"n", n_t}, {"sum", std::round(p_t * n_t)}}}}}
          .dump();
  Outcome outcome = Analyze({"ab", "--stats", TempFile("prop.json", doc), "--json"});
  ASSERT_EQ(outcome.code, 0) << outcome.err;
  ExpectEstimate(outcome.json().at("results")[0].at("absolute"), e.at("absolute"), "proportion");

  // Ratio with a pre-period: the "pre" object and cross products.
  const std::string ratio = R"({"kind": "ratio", "variants": [
      {"name": "control", "n": 4, "sum_num": 10, "sum_num_sq": 30, "sum_den": 8, "sum_den_sq": 20,
       "sum_num_den": 22, "pre": {"sum_num": 9, "sum_num_sq": 25, "sum_den": 8, "sum_den_sq": 18,
       "sum_num_den": 19}, "sum_num_post_num_pre": 24, "sum_den_post_den_pre": 17,
       "sum_num_post_den_pre": 21, "sum_den_post_num_pre": 19},
      {"name": "treatment", "n": 4, "sum_num": 12, "sum_num_sq": 40, "sum_den": 8,
       "sum_den_sq": 20, "sum_num_den": 26}]})";
  outcome = Analyze({"ab", "--stats", TempFile("ratio.json", ratio)});
  ExpectFailure(outcome, 1, "\"pre\" must be given for every variant or for none");
}

TEST(AnalyzeAbTest, BadUsageExitsTwo) {
  const std::string csv = DataFile("ab_mean_cuped.csv");
  ExpectFailure(Analyze({"ab", "--csv", csv, "--alpha", "1.5"}), 2,
                "--alpha must be in (0, 1), got 1.5");
  ExpectFailure(Analyze({"ab", "--csv", csv, "--correction", "bonferroni"}), 2,
                "--correction must be none, holm or bh");
  ExpectFailure(Analyze({"ab", "--csv", csv, "--kind", "median"}), 2,
                "--kind must be mean, proportion or ratio");
  ExpectFailure(Analyze({"ab", "--csv", csv, "--direction", "up"}), 2,
                "--direction must be increase or decrease");
  ExpectFailure(Analyze({"ab", "--csv", csv, "--prior-sd", "0"}), 2, "--prior-sd must be > 0");
  ExpectFailure(Analyze({"ab", "--csv", csv, "--tuning", "-1"}), 2, "--tuning must be > 0");
  ExpectFailure(Analyze({"ab", "--csv", csv, "--guardrail-margin", "-0.1"}), 2,
                "--guardrail-margin must be >= 0");
  ExpectFailure(Analyze({"ab"}), 2, "exactly one of --csv FILE or --stats FILE.json");
  ExpectFailure(Analyze({"ab", "--csv", csv, "--stats", "x.json"}), 2,
                "exactly one of --csv FILE or --stats FILE.json");
  EXPECT_EQ(Analyze({"ab", "--csv", csv, "--no-such-option"}).code, 2);
  EXPECT_EQ(Analyze({"ab", "--csv", csv, "--alpha", "abc"}).code, 2);
  EXPECT_EQ(Analyze({}).code, 2);
  EXPECT_EQ(Analyze({"frobnicate"}).code, 2);

  const Outcome help = Analyze({"ab", "--help"});
  EXPECT_EQ(help.code, 0);
  EXPECT_THAT(help.out, HasSubstr("--csv"));
  EXPECT_THAT(help.out, HasSubstr("--guardrail-margin"));
}

// --- did
// ------------------------------------------------------------------------------------------

void ExpectDid(const Json& j, const Json& e) {
  EXPECT_EQ(j.at("method"), "twfe_cluster");
  // statsmodels OLS with unit and period dummies, cluster-robust by unit, K = 1, t(G-1).
  ExpectEstimate(j, e.at("twfe"), "twfe");
  ExpectEstimate(j.at("pre_trend"), e.at("pre_trend"), "pre-trend placebo");
  // scipy.stats.ttest_ind(equal_var=False) on per-unit changes.
  ExpectEstimate(j.at("panel_2x2"), e.at("panel_2x2"), "panel 2x2");
  EXPECT_EQ(j.at("n_observations"), e.at("n_observations"));
  EXPECT_EQ(j.at("n_units"), e.at("n_units"));
  EXPECT_EQ(j.at("n_periods"), e.at("n_periods"));
  ASSERT_EQ(j.at("periods").size(), e.at("periods").size());
  for (size_t t = 0; t < e.at("periods").size(); ++t) {
    EXPECT_EQ(j.at("periods")[t].at("period"), e.at("periods")[t]) << t;
  }
  for (const char* key :
       {"estimate", "se", "ci_low", "ci_high", "p_value", "method", "pre_trend"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
}

TEST(AnalyzeDidTest, IsoDatesAreOrderedChronologically) {
  const Json& e = Expected().at("did_dates");
  Outcome outcome = Analyze(
      {"did", "--csv", DataFile("did_dates.csv"), "--post-from", e.at("post_from"), "--json"});
  ASSERT_EQ(outcome.code, 0) << outcome.err;
  Json j = outcome.json();
  EXPECT_EQ(j.at("periods_are_dates"), true);
  ExpectDid(j, e);
  EXPECT_EQ(j.at("periods")[4].at("post"), true);
  EXPECT_EQ(j.at("periods")[3].at("post"), false);
  EXPECT_EQ(j.at("n_pre_periods"), 4);

  // A date between two periods starts the post-period at the next one.
  outcome = Analyze({"did", "--csv", DataFile("did_dates.csv"), "--post-from",
                     e.at("post_from_between"), "--json"});
  ASSERT_EQ(outcome.code, 0) << outcome.err;
  j = outcome.json();
  EXPECT_EQ(j.at("first_post_period"), e.at("post_from"));
  ExpectEstimate(j, e.at("twfe"), "twfe, in-between date");

  outcome = Analyze({"did", "--csv", DataFile("did_dates.csv"), "--post-from", e.at("post_from")});
  ASSERT_EQ(outcome.code, 0) << outcome.err;
  EXPECT_THAT(outcome.out, HasSubstr("two-way fixed effects (unit-clustered)"));
  EXPECT_THAT(outcome.out, HasSubstr("periods ordered by date"));
}

TEST(AnalyzeDidTest, OtherLabelsKeepFileOrder) {
  const Json& e = Expected().at("did_labels");
  const Outcome outcome = Analyze(
      {"did", "--csv", DataFile("did_labels.csv"), "--post-from", e.at("post_from"), "--json"});
  ASSERT_EQ(outcome.code, 0) << outcome.err;
  const Json j = outcome.json();
  EXPECT_EQ(j.at("periods_are_dates"), false);
  ExpectDid(j, e);
}

TEST(AnalyzeDidTest, BadFilesAndPeriods) {
  const std::string header = "unit_id,group,period,value\n";
  Outcome outcome =
      Analyze({"did", "--csv", TempFile("group.csv", header + "1,treatment,a,1\n2,treated,a,2\n"),
               "--post-from", "a"});
  ExpectFailure(outcome, 1,
                "group.csv line 3, column 2 (group): group must be treatment or control");

  outcome =
      Analyze({"did", "--csv", TempFile("switch.csv", header + "1,treatment,a,1\n1,control,b,2\n"),
               "--post-from", "b"});
  ExpectFailure(outcome, 1,
                "switch.csv line 3, column 2 (group): unit \"1\" is in treatment on "
                "line 2; a unit stays in one group");

  outcome = Analyze({"did", "--csv", TempFile("nocol.csv", "unit_id,group,value\n1,control,2\n"),
                     "--post-from", "a"});
  ExpectFailure(outcome, 1, "nocol.csv line 1: missing column \"period\"");

  outcome = Analyze({"did", "--csv", DataFile("did_labels.csv"), "--post-from", "launchday"});
  ExpectFailure(outcome, 1, "--post-from \"launchday\" is not a period in");
  EXPECT_THAT(outcome.err, HasSubstr("(periods in order: p-early, p-mid, p-late, launch, after)"));

  outcome = Analyze({"did", "--csv", DataFile("did_labels.csv"), "--post-from", "p-early"});
  ExpectFailure(outcome, 1, "--post-from p-early leaves no pre-period");

  outcome = Analyze({"did", "--csv", DataFile("did_dates.csv"), "--post-from", "2027-01-01"});
  ExpectFailure(outcome, 1, "--post-from 2027-01-01 leaves no post-period");

  EXPECT_EQ(Analyze({"did", "--csv", DataFile("did_dates.csv")}).code, 2);  // --post-from required
}

TEST(AnalyzeDidTest, DegenerateDataIsFlaggedNotFailed) {
  // One pre-period: the effect is estimated, the placebo is not possible.
  const std::string csv = TempFile("one_pre.csv",
                                   "unit_id,group,period,value\n"
                                   "a,treatment,1,1.0\na,treatment,2,3.1\n"
                                   "b,treatment,1,2.0\nb,treatment,2,3.9\n"
                                   "c,control,1,1.5\nc,control,2,1.7\n"
                                   "d,control,1,0.5\nd,control,2,0.4\n");
  const Outcome outcome = Analyze({"did", "--csv", csv, "--post-from", "2", "--json"});
  ASSERT_EQ(outcome.code, 0) << outcome.err;
  const Json j = outcome.json();
  EXPECT_EQ(j.at("valid"), true);
  EXPECT_EQ(j.at("pre_trend").at("valid"), false);
  EXPECT_THAT(j.at("pre_trend").at("flags"), ElementsAre("no_pre_periods"));
}

// --- power
// ----------------------------------------------------------------------------------------

TEST(AnalyzePowerTest, SampleSizeAndDaysMatchStatsmodels) {
  const Json& e = Expected().at("power").at("mean");
  Outcome outcome = Analyze({"power", "--kind", "mean", "--mean", "10", "--sd", "5", "--mde",
                             "0.02", "--arms", "3", "--daily-units", "1500", "--json"});
  ASSERT_EQ(outcome.code, 0) << outcome.err;
  Json j = outcome.json();
  // statsmodels TTestIndPower().solve_power(effect_size=0.04, alpha=0.05, power=0.8).
  EXPECT_EQ(j.at("n_per_arm"), e.at("n_per_arm"));
  EXPECT_TRUE(Near(j.at("n_per_arm_exact"), e.at("n_per_arm_exact")));
  EXPECT_EQ(j.at("total_n"), e.at("total_n"));
  EXPECT_EQ(j.at("days"), e.at("days"));
  EXPECT_TRUE(Near(j.at("effect_size"), e.at("effect_size")));

  const Json& p = Expected().at("power").at("proportion");
  outcome = Analyze({"power", "--kind", "proportion", "--rate", "0.08", "--mde", "0.1", "--power",
                     "0.9", "--json"});
  ASSERT_EQ(outcome.code, 0) << outcome.err;
  j = outcome.json();
  // statsmodels NormalIndPower with the unpooled two-proportion effect size.
  EXPECT_EQ(j.at("n_per_arm"), p.at("n_per_arm"));
  EXPECT_TRUE(Near(j.at("n_per_arm_exact"), p.at("n_per_arm_exact")));
  EXPECT_EQ(j.at("total_n"), p.at("total_n"));
  EXPECT_EQ(j.at("days"), nullptr);  // no --daily-units

  const Json& m = Expected().at("power").at("mde_for_n");
  outcome = Analyze({"power", "--mean", "10", "--sd", "5", "--n-per-arm", "5000", "--json"});
  ASSERT_EQ(outcome.code, 0) << outcome.err;
  EXPECT_TRUE(Near(outcome.json().at("mde"), m.at("mde")));
  EXPECT_EQ(outcome.json().at("mde_solved"), true);

  outcome =
      Analyze({"power", "--mean", "10", "--sd", "5", "--mde", "0.02", "--daily-units", "1500"});
  ASSERT_EQ(outcome.code, 0) << outcome.err;
  EXPECT_THAT(outcome.out, HasSubstr("units per arm"));
  EXPECT_THAT(outcome.out, HasSubstr("9,813"));
}

TEST(AnalyzePowerTest, BadUsageExitsTwo) {
  ExpectFailure(Analyze({"power", "--mde", "0.02"}), 2, "--kind mean needs --mean and --sd");
  ExpectFailure(Analyze({"power", "--kind", "proportion", "--mde", "0.02"}), 2,
                "--kind proportion needs --rate");
  ExpectFailure(Analyze({"power", "--mean", "10", "--sd", "5"}), 2, "exactly one of --mde");
  ExpectFailure(Analyze({"power", "--mean", "10", "--sd", "0", "--mde", "0.02"}), 2,
                "invalid power options: sd");
  ExpectFailure(Analyze({"power", "--kind", "ratio", "--mde", "0.02"}), 2,
                "--kind must be mean or proportion for power");
}

// --- building blocks
// --------------------------------------------------------------------------------

TEST(CsvReaderTest, QuotesCrlfBomAndLineNumbers) {
  std::istringstream in(
      "\xEF\xBB\xBF"
      "Unit_ID , Variant,value\r\n"
      "\r\n"
      "\"a \"\"quoted\"\" id\",\"multi\nline\",1\r\n"
      "b, \"x\" ,2\n"
      "c,y,3");
  CsvReader reader(in, "t.csv");
  ASSERT_TRUE(reader.ReadHeader("x").ok());
  EXPECT_THAT(reader.header(), ElementsAre("unit_id", "variant", "value"));
  EXPECT_EQ(reader.Column("VARIANT"), 1u);
  std::vector<std::string> fields;
  auto more = reader.Next(fields);
  ASSERT_TRUE(more.ok() && *more);
  EXPECT_EQ(reader.line(), 3);
  EXPECT_THAT(fields, ElementsAre("a \"quoted\" id", "multi\nline", "1"));
  more = reader.Next(fields);
  ASSERT_TRUE(more.ok() && *more);
  EXPECT_EQ(reader.line(), 5);  // after the two-line record
  EXPECT_THAT(fields, ElementsAre("b", "x", "2"));
  more = reader.Next(fields);
  ASSERT_TRUE(more.ok() && *more);
  EXPECT_EQ(reader.line(), 6);
  EXPECT_THAT(fields, ElementsAre("c", "y", "3"));
  more = reader.Next(fields);
  ASSERT_TRUE(more.ok());
  EXPECT_FALSE(*more);

  std::istringstream stray("a,b\n\"x\"y,2\n");
  CsvReader bad(stray, "s.csv");
  ASSERT_TRUE(bad.ReadHeader("x").ok());
  more = bad.Next(fields);
  ASSERT_FALSE(more.ok());
  EXPECT_THAT(std::string(more.status().message()),
              HasSubstr("s.csv line 2, column 1: unexpected text after the closing quote"));

  std::istringstream twice("a,B,b\n");
  CsvReader repeated(twice, "r.csv");
  EXPECT_THAT(std::string(repeated.ReadHeader("x").message()),
              HasSubstr("r.csv line 1, column 3: column \"b\" appears twice"));
}

TEST(CsvReaderTest, ParseNumberAndIsoDates) {
  EXPECT_EQ(ParseNumber(" 1.5 "), 1.5);
  EXPECT_EQ(ParseNumber("+2e3"), 2000.0);
  EXPECT_EQ(ParseNumber("-0.25"), -0.25);
  EXPECT_EQ(ParseNumber(""), std::nullopt);
  EXPECT_EQ(ParseNumber("1,5"), std::nullopt);
  EXPECT_EQ(ParseNumber("nan"), std::nullopt);
  EXPECT_EQ(ParseNumber("inf"), std::nullopt);
  EXPECT_EQ(ParseNumber("1e999"), std::nullopt);
  EXPECT_EQ(ParseNumber("12abc"), std::nullopt);
  EXPECT_TRUE(IsIsoDate("2024-02-29"));
  EXPECT_FALSE(IsIsoDate("2023-02-29"));
  EXPECT_FALSE(IsIsoDate("2026-13-01"));
  EXPECT_FALSE(IsIsoDate("2026-1-01"));
  EXPECT_FALSE(IsIsoDate("week-1"));
}

// --- registration in a host CLI ---------------------------------------------------------------

TEST(AnalyzeCommandTest, RegistersInAHostApp) {
  CLI::App app{"liftctl"};
  app.require_subcommand(1);
  app.add_subcommand("ping", "another command");
  auto analyze = AddAnalyzeCommand(app);
  // `liftctl analyze power --mean 10 --sd 5 --mde 0.02 --json`, reversed as CLI11 takes it.
  std::vector<std::string> args = {"--json", "0.02",   "--mde", "5",      "--sd",
                                   "10",     "--mean", "power", "analyze"};
  app.parse(args);
  ASSERT_TRUE(analyze->Selected());
  std::ostringstream out, err;
  EXPECT_EQ(analyze->Run(out, err), 0) << err.str();
  EXPECT_TRUE(Json::parse(out.str()).contains("n_per_arm"));

  CLI::App other{"liftctl"};
  other.add_subcommand("ping", "another command");
  auto unused = AddAnalyzeCommand(other);
  std::vector<std::string> ping = {"ping"};
  other.parse(ping);
  EXPECT_FALSE(unused->Selected());
}

}  // namespace
}  // namespace lift::analyze

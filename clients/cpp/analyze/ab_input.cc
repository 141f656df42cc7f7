#include "clients/cpp/analyze/ab_input.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "clients/cpp/analyze/csv_reader.h"

namespace lift::analyze {
namespace {

using stats::MetricKind;

constexpr std::string_view kAbCsvExample = "unit_id,variant,value";

// Per-variant sums over units, accumulated in extended precision.
struct VariantSums {
  std::string name;
  int64_t n = 0;
  long double y = 0, y_sq = 0, x = 0, x_sq = 0, xy = 0;
  long double num = 0, num_sq = 0, den = 0, den_sq = 0, num_den = 0;
  long double pre_num = 0, pre_num_sq = 0, pre_den = 0, pre_den_sq = 0, pre_num_den = 0;
  long double num_pre_num = 0, den_pre_den = 0, num_pre_den = 0, den_pre_num = 0;
};

double D(long double value) { return static_cast<double>(value); }

stats::VariantStats ToVariantStats(const VariantSums& sums, MetricKind kind, bool covariate) {
  if (kind == MetricKind::kRatio) {
    stats::RatioCovariateStats ratio;
    ratio.post = stats::RatioStats{sums.n,      D(sums.num),    D(sums.num_sq),
                                   D(sums.den), D(sums.den_sq), D(sums.num_den)};
    if (!covariate) return stats::VariantStats::Ratio(sums.name, ratio.post);
    ratio.pre = stats::RatioStats{sums.n,          D(sums.pre_num),    D(sums.pre_num_sq),
                                  D(sums.pre_den), D(sums.pre_den_sq), D(sums.pre_num_den)};
    ratio.sum_num_post_num_pre = D(sums.num_pre_num);
    ratio.sum_den_post_den_pre = D(sums.den_pre_den);
    ratio.sum_num_post_den_pre = D(sums.num_pre_den);
    ratio.sum_den_post_num_pre = D(sums.den_pre_num);
    return stats::VariantStats::RatioWithCovariate(sums.name, ratio);
  }
  const stats::MeanStats y{sums.n, D(sums.y), D(sums.y_sq)};
  if (!covariate) return stats::VariantStats::Mean(sums.name, y);
  return stats::VariantStats::WithCovariate(
      sums.name, stats::CovariateStats{y, D(sums.x), D(sums.x_sq), D(sums.xy)});
}

std::string QuotedList(const std::vector<std::string>& names) {
  return absl::StrJoin(names, ", ", [](std::string* out, const std::string& name) {
    absl::StrAppend(out, "\"", name, "\"");
  });
}

std::string HeaderList(const CsvReader& reader) { return absl::StrJoin(reader.header(), ","); }

// --- JSON helpers --------------------------------------------------------------------------------

absl::Status JsonError(const std::string& source, const std::string& path,
                       std::string_view message) {
  return absl::InvalidArgumentError(absl::StrCat(source, ": ", path, std::string(message)));
}

// The number at object[key]; nullopt when absent (and not required).
absl::StatusOr<std::optional<double>> JsonNumber(const nlohmann::json& object, const char* key,
                                                 bool required, const std::string& source,
                                                 const std::string& path) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) {
    if (!required) return std::optional<double>();
    return JsonError(source, path, absl::StrCat(": missing number \"", key, "\""));
  }
  if (!it->is_number()) {
    return JsonError(source, path, absl::StrCat(".", key, " must be a number, got ", it->dump()));
  }
  const double value = it->get<double>();
  if (!std::isfinite(value)) {
    return JsonError(source, path, absl::StrCat(".", key, " must be finite"));
  }
  return std::optional<double>(value);
}

absl::StatusOr<double> RequiredNumber(const nlohmann::json& object, const char* key,
                                      const std::string& source, const std::string& path) {
  auto value = JsonNumber(object, key, true, source, path);
  if (!value.ok()) return value.status();
  return **value;
}

absl::StatusOr<int64_t> JsonCount(const nlohmann::json& object, const std::string& source,
                                  const std::string& path) {
  auto value = RequiredNumber(object, "n", source, path);
  if (!value.ok()) return value.status();
  if (*value != std::floor(*value) || std::fabs(*value) > 9.0e15) {
    return JsonError(source, path, absl::StrCat(".n must be a whole number, got ", *value));
  }
  return static_cast<int64_t>(*value);
}

absl::StatusOr<stats::RatioStats> JsonRatioStats(const nlohmann::json& object, int64_t n,
                                                 const std::string& source,
                                                 const std::string& path) {
  stats::RatioStats ratio;
  ratio.n = n;
  const std::pair<const char*, double*> fields[] = {{"sum_num", &ratio.sum_num},
                                                    {"sum_num_sq", &ratio.sum_num_sq},
                                                    {"sum_den", &ratio.sum_den},
                                                    {"sum_den_sq", &ratio.sum_den_sq},
                                                    {"sum_num_den", &ratio.sum_num_den}};
  for (const auto& [key, target] : fields) {
    auto value = RequiredNumber(object, key, source, path);
    if (!value.ok()) return value.status();
    *target = *value;
  }
  return ratio;
}

}  // namespace

absl::StatusOr<AbData> ReadAbCsv(std::istream& in, const std::string& source,
                                 const AbReadOptions& options) {
  CsvReader reader(in, source);
  if (absl::Status status = reader.ReadHeader(kAbCsvExample); !status.ok()) return status;
  auto missing = [&](std::string_view what) {
    return absl::InvalidArgumentError(absl::StrCat(source, " line ", reader.line(),
                                                   ": missing column ", std::string(what),
                                                   " (header: ", HeaderList(reader), ")"));
  };

  const std::optional<size_t> variant_column = reader.Column("variant");
  if (!variant_column) return missing("\"variant\"");
  const std::optional<size_t> unit_column = reader.Column("unit_id");
  const std::optional<size_t> value_column = reader.Column("value");
  const std::optional<size_t> numerator_column = reader.Column("numerator");
  const std::optional<size_t> denominator_column = reader.Column("denominator");

  bool ratio = false;
  if (options.kind.has_value()) {
    ratio = *options.kind == MetricKind::kRatio;
  } else {
    ratio = !value_column && (numerator_column || denominator_column);
  }
  std::optional<size_t> pre_value_column, pre_numerator_column, pre_denominator_column;
  if (ratio) {
    if (!numerator_column)
      return missing("\"numerator\" (a ratio metric needs numerator and denominator)");
    if (!denominator_column)
      return missing("\"denominator\" (a ratio metric needs numerator and denominator)");
    pre_numerator_column = reader.Column("pre_numerator");
    pre_denominator_column = reader.Column("pre_denominator");
    if (pre_numerator_column && !pre_denominator_column)
      return missing("\"pre_denominator\" (given \"pre_numerator\")");
    if (pre_denominator_column && !pre_numerator_column)
      return missing("\"pre_numerator\" (given \"pre_denominator\")");
  } else {
    if (!value_column) {
      return missing(options.kind.has_value()
                         ? "\"value\""
                         : "\"value\" (or \"numerator\" and \"denominator\" for a ratio metric)");
    }
    pre_value_column = reader.Column("pre_value");
  }
  const bool covariate = options.use_covariate &&
                         (ratio ? pre_numerator_column.has_value() : pre_value_column.has_value());
  const bool check_zero_one = options.kind == MetricKind::kProportion;

  AbData data;
  data.source = source;
  std::vector<VariantSums> variants;
  std::unordered_map<std::string, size_t> variant_index;
  std::unordered_map<std::string, int64_t> unit_line;
  bool all_zero_one = true;
  const int64_t first_data_line = reader.line() + 1;
  std::vector<std::string> fields;
  auto number = [&](size_t column) -> absl::StatusOr<double> {
    const std::string_view text = TrimSpaces(fields[column]);
    if (text.empty()) return reader.FieldError(column, "empty value: every unit needs a number");
    const std::optional<double> value = ParseNumber(text);
    if (!value) {
      return reader.FieldError(column, absl::StrCat("not a number: \"", std::string(text), "\""));
    }
    return *value;
  };

  while (true) {
    auto more = reader.Next(fields);
    if (!more.ok()) return more.status();
    if (!*more) break;
    ++data.rows;
    const std::string name(TrimSpaces(fields[*variant_column]));
    if (name.empty()) return reader.FieldError(*variant_column, "empty variant name");
    if (unit_column) {
      const std::string unit(TrimSpaces(fields[*unit_column]));
      if (unit.empty()) return reader.FieldError(*unit_column, "empty unit_id");
      const auto [it, inserted] = unit_line.emplace(unit, reader.line());
      if (!inserted) {
        return reader.FieldError(
            *unit_column, absl::StrCat("unit \"", unit, "\" already appeared on line ", it->second,
                                       " (one row per unit)"));
      }
    }
    auto [it, inserted] = variant_index.emplace(name, variants.size());
    if (inserted) variants.push_back(VariantSums{name});
    VariantSums& sums = variants[it->second];
    ++sums.n;
    if (ratio) {
      auto num = number(*numerator_column);
      if (!num.ok()) return num.status();
      auto den = number(*denominator_column);
      if (!den.ok()) return den.status();
      const long double m = *num, d = *den;
      sums.num += m;
      sums.num_sq += m * m;
      sums.den += d;
      sums.den_sq += d * d;
      sums.num_den += m * d;
      if (covariate) {
        auto pre_num = number(*pre_numerator_column);
        if (!pre_num.ok()) return pre_num.status();
        auto pre_den = number(*pre_denominator_column);
        if (!pre_den.ok()) return pre_den.status();
        const long double pm = *pre_num, pd = *pre_den;
        sums.pre_num += pm;
        sums.pre_num_sq += pm * pm;
        sums.pre_den += pd;
        sums.pre_den_sq += pd * pd;
        sums.pre_num_den += pm * pd;
        sums.num_pre_num += m * pm;
        sums.den_pre_den += d * pd;
        sums.num_pre_den += m * pd;
        sums.den_pre_num += d * pm;
      }
    } else {
      auto value = number(*value_column);
      if (!value.ok()) return value.status();
      const bool zero_one = *value == 0.0 || *value == 1.0;
      if (!zero_one && check_zero_one) {
        return reader.FieldError(
            *value_column, absl::StrCat("value ", *value, " is not 0 or 1 (--kind proportion)"));
      }
      all_zero_one = all_zero_one && zero_one;
      const long double y = *value;
      sums.y += y;
      sums.y_sq += y * y;
      if (covariate) {
        auto pre = number(*pre_value_column);
        if (!pre.ok()) return pre.status();
        const long double x = *pre;
        sums.x += x;
        sums.x_sq += x * x;
        sums.xy += x * y;
      }
    }
  }

  if (data.rows == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": no data rows after the header (line ", first_data_line - 1, ")"));
  }
  if (variants.size() < 2) {
    return absl::InvalidArgumentError(absl::StrCat(
        source, ": every row (lines ", first_data_line, "-", reader.line(), ") has variant \"",
        variants.front().name, "\"; an A/B analysis needs at least two variants"));
  }

  MetricKind kind;
  if (options.kind.has_value()) {
    kind = *options.kind;
  } else {
    data.kind_inferred = true;
    kind =
        ratio ? MetricKind::kRatio : (all_zero_one ? MetricKind::kProportion : MetricKind::kMean);
  }
  data.input.kind = kind;
  data.input.has_covariate = covariate;
  for (const VariantSums& sums : variants) {
    data.input.variants.push_back(ToVariantStats(sums, kind, covariate));
  }
  return data;
}

absl::StatusOr<AbData> ReadAbStatsJson(std::istream& in, const std::string& source,
                                       const AbReadOptions& options) {
  nlohmann::json document;
  try {
    document = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& error) {  // parse_error, or out_of_range (1e999)
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": not valid JSON: ", std::string(error.what())));
  }
  if (!document.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": expected a JSON object {\"kind\": ..., \"variants\": [...]}"));
  }

  AbData data;
  data.source = source;
  std::optional<MetricKind> file_kind;
  if (const auto it = document.find("kind"); it != document.end()) {
    if (!it->is_string()) return JsonError(source, "kind", " must be a string");
    auto parsed = stats::ParseMetricKind(it->get<std::string>());
    if (!parsed.ok())
      return absl::InvalidArgumentError(absl::StrCat(source, ": ", parsed.status().message()));
    file_kind = *parsed;
  }
  if (file_kind && options.kind && *file_kind != *options.kind) {
    return absl::InvalidArgumentError(absl::StrCat(
        source, ": \"kind\" is \"", std::string(stats::MetricKindName(*file_kind)),
        "\" but --kind is \"", std::string(stats::MetricKindName(*options.kind)), "\""));
  }
  if (!file_kind && !options.kind) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": missing \"kind\" (mean, proportion or ratio); or pass --kind"));
  }
  const MetricKind kind = file_kind ? *file_kind : *options.kind;
  data.input.kind = kind;

  const auto variants = document.find("variants");
  if (variants == document.end() || !variants->is_array()) {
    return JsonError(source, "variants", " must be an array of {\"name\": ..., sums}");
  }
  if (variants->size() < 2) {
    return JsonError(source, "variants",
                     absl::StrCat(" must hold at least two variants, got ", variants->size()));
  }

  std::unordered_map<std::string, size_t> names;
  std::optional<bool> covariate;  // decided by the first variant
  for (size_t i = 0; i < variants->size(); ++i) {
    const nlohmann::json& variant = (*variants)[i];
    std::string path = absl::StrCat("variants[", i, "]");
    if (!variant.is_object()) return JsonError(source, path, " must be an object");
    const auto name_it = variant.find("name");
    if (name_it == variant.end() || !name_it->is_string() || name_it->get<std::string>().empty()) {
      return JsonError(source, path, ".name must be a non-empty string");
    }
    const std::string name = name_it->get<std::string>();
    if (!names.emplace(name, i).second) {
      return JsonError(source, path,
                       absl::StrCat(".name \"", name, "\" repeats variants[", names[name], "]"));
    }
    path = absl::StrCat(path, " (\"", name, "\")");
    auto n = JsonCount(variant, source, path);
    if (!n.ok()) return n.status();

    const bool has_covariate = kind == MetricKind::kRatio
                                   ? variant.contains("pre")
                                   : (variant.contains("sum_x") || variant.contains("sum_x2") ||
                                      variant.contains("sum_xy"));
    if (!covariate.has_value()) covariate = has_covariate;
    if (*covariate != has_covariate) {
      return JsonError(source, path,
                       kind == MetricKind::kRatio
                           ? ": \"pre\" must be given for every variant or for none"
                           : ": sum_x, sum_x2, sum_xy must be given for every variant or for none");
    }
    const bool use = has_covariate && options.use_covariate;

    if (kind == MetricKind::kRatio) {
      auto post = JsonRatioStats(variant, *n, source, path);
      if (!post.ok()) return post.status();
      if (!use) {
        data.input.variants.push_back(stats::VariantStats::Ratio(name, *post));
        continue;
      }
      const nlohmann::json& pre_object = variant.at("pre");
      if (!pre_object.is_object()) return JsonError(source, path, ".pre must be an object");
      auto pre = JsonRatioStats(pre_object, *n, source, path + ".pre");
      if (!pre.ok()) return pre.status();
      stats::RatioCovariateStats ratio;
      ratio.post = *post;
      ratio.pre = *pre;
      const std::pair<const char*, double*> cross[] = {
          {"sum_num_post_num_pre", &ratio.sum_num_post_num_pre},
          {"sum_den_post_den_pre", &ratio.sum_den_post_den_pre},
          {"sum_num_post_den_pre", &ratio.sum_num_post_den_pre},
          {"sum_den_post_num_pre", &ratio.sum_den_post_num_pre}};
      for (const auto& [key, target] : cross) {
        auto value = RequiredNumber(variant, key, source, path);
        if (!value.ok()) return value.status();
        *target = *value;
      }
      data.input.variants.push_back(stats::VariantStats::RatioWithCovariate(name, ratio));
      continue;
    }

    stats::MeanStats y;
    y.n = *n;
    auto sum = RequiredNumber(variant, "sum", source, path);
    if (!sum.ok()) return sum.status();
    y.sum = *sum;
    auto sum_sq = JsonNumber(variant, "sum_sq", kind == MetricKind::kMean, source, path);
    if (!sum_sq.ok()) return sum_sq.status();
    y.sum_sq = sum_sq->value_or(y.sum);  // proportions: Σy² = Σy for 0/1 values
    if (!use) {
      data.input.variants.push_back(stats::VariantStats::Mean(name, y));
      continue;
    }
    stats::CovariateStats values{y, 0.0, 0.0, 0.0};
    const std::pair<const char*, double*> sums[] = {
        {"sum_x", &values.sum_x}, {"sum_x2", &values.sum_x_sq}, {"sum_xy", &values.sum_xy}};
    for (const auto& [key, target] : sums) {
      auto value = RequiredNumber(variant, key, source, path);
      if (!value.ok()) return value.status();
      *target = *value;
    }
    data.input.variants.push_back(stats::VariantStats::WithCovariate(name, values));
  }
  data.input.has_covariate = covariate.value_or(false) && options.use_covariate;
  return data;
}

absl::Status ChooseControl(const std::optional<std::string>& control_name, AbData& data) {
  const std::vector<stats::VariantStats>& variants = data.input.variants;
  std::vector<std::string> names;
  for (const stats::VariantStats& variant : variants) names.push_back(variant.name);
  const std::string wanted = control_name.value_or("control");
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == wanted) {
      data.input.control_index = static_cast<int>(i);
      return absl::OkStatus();
    }
  }
  if (control_name.has_value()) {
    return absl::InvalidArgumentError(absl::StrCat("--control \"", *control_name,
                                                   "\" is not a variant in ", data.source,
                                                   " (variants: ", QuotedList(names), ")"));
  }
  data.input.control_index = 0;
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::pair<std::string, double>>> ParseWeights(std::string_view text) {
  std::vector<std::pair<std::string, double>> weights;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(',', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view item = TrimSpaces(text.substr(start, end - start));
    const size_t equals = item.rfind('=');
    if (equals == std::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("--weights must look like control=0.5,treatment=0.5; \"", std::string(item),
                       "\" has no '='"));
    }
    const std::string name(TrimSpaces(item.substr(0, equals)));
    const std::optional<double> weight = ParseNumber(item.substr(equals + 1));
    if (name.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--weights: \"", std::string(item), "\" has no variant name"));
    }
    if (!weight || *weight <= 0.0) {
      return absl::InvalidArgumentError(absl::StrCat("--weights: the weight of \"", name,
                                                     "\" must be a number > 0, got \"",
                                                     std::string(item.substr(equals + 1)), "\""));
    }
    for (const auto& [existing, unused] : weights) {
      if (existing == name) {
        return absl::InvalidArgumentError(absl::StrCat("--weights names \"", name, "\" twice"));
      }
    }
    weights.emplace_back(name, *weight);
    start = end + 1;
  }
  return weights;
}

absl::Status ApplyWeights(const std::vector<std::pair<std::string, double>>& weights,
                          AbData& data) {
  std::vector<std::string> names;
  for (const stats::VariantStats& variant : data.input.variants) names.push_back(variant.name);
  for (const auto& [name, weight] : weights) {
    if (std::find(names.begin(), names.end(), name) == names.end()) {
      return absl::InvalidArgumentError(absl::StrCat("--weights names \"", name,
                                                     "\", which is not a variant in ", data.source,
                                                     " (variants: ", QuotedList(names), ")"));
    }
  }
  std::vector<double> ordered;
  for (const std::string& name : names) {
    const auto it = std::find_if(weights.begin(), weights.end(),
                                 [&name](const auto& entry) { return entry.first == name; });
    if (it == weights.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--weights gives no weight for variant \"", name, "\" of ", data.source));
    }
    ordered.push_back(it->second);
  }
  data.input.weights = std::move(ordered);
  return absl::OkStatus();
}

}  // namespace lift::analyze

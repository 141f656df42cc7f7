#include "server/launch/group_condition.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace lift::launch {
namespace {

bool IsNameChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
}

bool IsBareValueChar(char c) {
  return !absl::ascii_isspace(static_cast<unsigned char>(c)) && c != ',' && c != '(' && c != ')' &&
         c != '\'' && c != '"' && c != '=' && c != '!';
}

// A recursive-descent parser over `text` with 0-based `pos_`; errors report pos_ + 1.
class Parser {
 public:
  Parser(absl::string_view text, absl::string_view field) : text_(text), field_(field) {}

  absl::StatusOr<GroupCondition> Parse() {
    GroupCondition condition;
    SkipSpace();
    if (AtEnd()) return absl::InvalidArgumentError(absl::StrCat(field_, " is required"));
    while (true) {
      if (condition.clauses.size() == kMaxClauses) {
        return Error(absl::StrCat("more than ", kMaxClauses, " clauses"));
      }
      absl::StatusOr<ConditionClause> clause = ParseClause();
      if (!clause.ok()) return clause.status();
      condition.clauses.push_back(*std::move(clause));
      const size_t before_space = pos_;
      SkipSpace();
      if (AtEnd()) break;
      if (pos_ == before_space || !ConsumeKeyword("and")) {
        return Error("expected ' and ' between clauses", /*show_found=*/true);
      }
      SkipSpace();
      if (AtEnd()) return Error("expected a clause after 'and'");
    }
    return condition;
  }

 private:
  absl::StatusOr<ConditionClause> ParseClause() {
    ConditionClause clause;
    const size_t name_start = pos_;
    while (!AtEnd() && IsNameChar(text_[pos_])) ++pos_;
    absl::string_view name = text_.substr(name_start, pos_ - name_start);
    if (name.empty()) {
      return Error("expected an attribute name ([A-Za-z0-9_.-])", /*show_found=*/true);
    }
    size_t attribute_start = name_start;
    if (name.substr(0, kExposurePrefix.size()) == kExposurePrefix) {
      clause.source = AttributeSource::kExposureAttribute;
      name.remove_prefix(kExposurePrefix.size());
      attribute_start += kExposurePrefix.size();
      if (name.empty()) {
        return ErrorAt(attribute_start, "expected an attribute name after 'exposure.'");
      }
    }
    if (name.size() > kMaxAttributeNameLength) {
      return ErrorAt(attribute_start, absl::StrCat("attribute name longer than ",
                                                   kMaxAttributeNameLength, " characters"));
    }
    clause.attribute = std::string(name);
    SkipSpace();
    const size_t op_start = pos_;
    if (Consume("!=")) {
      clause.op = ConditionOperator::kNotEqual;
    } else if (Consume("=")) {
      clause.op = ConditionOperator::kEqual;
    } else if (ConsumeKeyword("in")) {
      clause.op = ConditionOperator::kIn;
    } else if (ConsumeKeyword("not")) {
      const size_t after_not = pos_;
      SkipSpace();
      if (pos_ == after_not || !ConsumeKeyword("in")) {
        return Error("expected 'in' after 'not'", /*show_found=*/true);
      }
      clause.op = ConditionOperator::kNotIn;
    } else {
      pos_ = op_start;
      return Error("expected an operator (=, !=, in, not in)", /*show_found=*/true);
    }
    SkipSpace();
    if (clause.op == ConditionOperator::kEqual || clause.op == ConditionOperator::kNotEqual) {
      absl::StatusOr<std::string> value = ParseValue();
      if (!value.ok()) return value.status();
      clause.values.push_back(*std::move(value));
      return clause;
    }
    if (!Consume("(")) return Error("expected '(' to start the list", /*show_found=*/true);
    while (true) {
      SkipSpace();
      if (clause.values.size() == kMaxListValues) {
        return Error(absl::StrCat("more than ", kMaxListValues, " values in the list"));
      }
      absl::StatusOr<std::string> value = ParseValue();
      if (!value.ok()) return value.status();
      clause.values.push_back(*std::move(value));
      SkipSpace();
      if (Consume(")")) break;
      if (!Consume(",")) return Error("expected ',' or ')' in the list", /*show_found=*/true);
    }
    return clause;
  }

  absl::StatusOr<std::string> ParseValue() {
    const size_t start = pos_;
    std::string value;
    if (!AtEnd() && (text_[pos_] == '\'' || text_[pos_] == '"')) {
      const char quote = text_[pos_++];
      const size_t end = text_.find(quote, pos_);
      if (end == absl::string_view::npos) {
        return ErrorAt(start, "unterminated quoted value");
      }
      value = std::string(text_.substr(pos_, end - pos_));
      pos_ = end + 1;
    } else {
      while (!AtEnd() && IsBareValueChar(text_[pos_])) ++pos_;
      if (pos_ == start) return Error("expected a value", /*show_found=*/true);
      value = std::string(text_.substr(start, pos_ - start));
    }
    if (value.size() > kMaxValueLength) {
      return ErrorAt(start, absl::StrCat("value longer than ", kMaxValueLength, " characters"));
    }
    return value;
  }

  bool AtEnd() const { return pos_ >= text_.size(); }
  void SkipSpace() {
    while (!AtEnd() && absl::ascii_isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }
  bool Consume(absl::string_view token) {
    if (text_.substr(pos_, token.size()) != token) return false;
    pos_ += token.size();
    return true;
  }
  // A case-insensitive keyword not followed by a name character ("in" but not "inx").
  bool ConsumeKeyword(absl::string_view keyword) {
    if (pos_ + keyword.size() > text_.size() ||
        absl::AsciiStrToLower(text_.substr(pos_, keyword.size())) != keyword) {
      return false;
    }
    const size_t end = pos_ + keyword.size();
    if (end < text_.size() && IsNameChar(text_[end])) return false;
    pos_ = end;
    return true;
  }

  absl::Status Error(absl::string_view what, bool show_found = false) const {
    std::string message = absl::StrCat(field_, ": ", what, " at position ", pos_ + 1);
    if (show_found) {
      if (AtEnd()) {
        absl::StrAppend(&message, ", found the end");
      } else {
        absl::StrAppend(&message, ", found '", text_.substr(pos_, 1), "'");
      }
    }
    return absl::InvalidArgumentError(message);
  }
  absl::Status ErrorAt(size_t position, absl::string_view what) const {
    return absl::InvalidArgumentError(
        absl::StrCat(field_, ": ", what, " at position ", position + 1));
  }

  absl::string_view text_;
  absl::string_view field_;
  size_t pos_ = 0;
};

std::string FormatValue(const std::string& value) {
  const bool bare = !value.empty() && std::all_of(value.begin(), value.end(), IsBareValueChar);
  if (bare) return value;
  if (value.find('\'') == std::string::npos) return absl::StrCat("'", value, "'");
  return absl::StrCat("\"", value, "\"");
}

}  // namespace

bool GroupCondition::HasSource(AttributeSource source) const {
  return std::any_of(clauses.begin(), clauses.end(),
                     [source](const ConditionClause& clause) { return clause.source == source; });
}

absl::StatusOr<GroupCondition> ParseGroupCondition(absl::string_view text,
                                                   absl::string_view field) {
  return Parser(text, field).Parse();
}

std::string FormatGroupCondition(const GroupCondition& condition) {
  std::vector<std::string> parts;
  for (const ConditionClause& clause : condition.clauses) {
    std::string part = clause.source == AttributeSource::kExposureAttribute
                           ? absl::StrCat(kExposurePrefix, clause.attribute)
                           : clause.attribute;
    std::vector<std::string> values;
    for (const std::string& value : clause.values) values.push_back(FormatValue(value));
    switch (clause.op) {
      case ConditionOperator::kEqual:
        absl::StrAppend(&part, "=", values[0]);
        break;
      case ConditionOperator::kNotEqual:
        absl::StrAppend(&part, "!=", values[0]);
        break;
      case ConditionOperator::kIn:
        absl::StrAppend(&part, " in (", absl::StrJoin(values, ","), ")");
        break;
      case ConditionOperator::kNotIn:
        absl::StrAppend(&part, " not in (", absl::StrJoin(values, ","), ")");
        break;
    }
    parts.push_back(std::move(part));
  }
  return absl::StrJoin(parts, " and ");
}

}  // namespace lift::launch

#include "server/assignment/condition.h"

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "re2/re2.h"
#include "server/assignment/js_value.h"
#include "server/assignment/version_string.h"
#include "stats/status_macros.h"

namespace lift::assignment {
namespace condition_internal {

struct ValueMatcher;

// A condition object: every clause must hold.
struct ConditionNode {
  enum class ClauseKind { kAnd, kOr, kNor, kNot, kPath };
  struct Clause {
    ClauseKind kind = ClauseKind::kPath;
    std::vector<ConditionNode> children;  // $and/$or/$nor operands; $not has exactly one
    std::vector<std::string> path;        // kPath: attribute path split on "."
    std::vector<ValueMatcher> value;      // kPath: exactly one matcher
  };
  std::vector<Clause> clauses;
};

enum class Operator {
  kEq,
  kNe,
  kLt,
  kLte,
  kGt,
  kGte,
  kExists,
  kIn,
  kNin,
  kNot,
  kSize,
  kElemMatch,
  kAll,
  kRegex,
  kType,
  kVeq,
  kVne,
  kVgt,
  kVgte,
  kVlt,
  kVlte,
};

// The operand of $in / $nin, split for fast lookup: strings in a hash set, other literals scanned.
struct MembershipSet {
  absl::flat_hash_set<std::string> strings;
  std::vector<nlohmann::json> others;

  bool Contains(const nlohmann::json& value) const {
    if (value.is_string()) return strings.contains(value.get_ref<const std::string&>());
    for (const auto& other : others) {
      if (JsStrictEquals(value, other)) return true;
    }
    return false;
  }
};

struct OperatorMatcher {
  Operator op = Operator::kEq;
  nlohmann::json literal;            // $eq $ne $lt $lte $gt $gte
  bool exists = true;                // $exists
  MembershipSet members;             // $in $nin
  std::string type_name;             // $type
  std::string padded_version;        // $v*
  std::shared_ptr<const RE2> regex;  // $regex
  std::vector<ValueMatcher> values;  // $not $size: one; $all: one per element; $elemMatch: 0/1
  std::vector<ConditionNode> elem_condition;  // $elemMatch on a condition: one
};

// A condition value: a literal compared with GrowthBook's loose equality, or operators.
struct ValueMatcher {
  enum class Kind { kString, kNumber, kBoolean, kNull, kDeepEquals, kOperators };
  Kind kind = Kind::kNull;
  std::string string_literal;
  double number_literal = 0.0;
  bool boolean_literal = false;
  nlohmann::json json_literal;
  std::vector<OperatorMatcher> operators;
};

namespace {

using nlohmann::json;

const json& NullJson() {
  static const json* const kNull = new json(nullptr);
  return *kNull;
}

// ---- Evaluation ----

bool EvalCondition(const ConditionNode& node, const json& object);
bool EvalValue(const ValueMatcher& matcher, const json& value);

// GrowthBook getPath: walks objects (and arrays, whose indices and "length" are properties in
// JavaScript); anything missing is null. `length_storage` holds a computed array length.
const json& GetPath(const json& object, const std::vector<std::string>& path,
                    json* length_storage) {
  const json* current = &object;
  for (const std::string& part : path) {
    if (current->is_object()) {
      const auto it = current->find(part);
      if (it == current->end()) return NullJson();
      current = &*it;
    } else if (current->is_array()) {
      if (part == "length") {
        *length_storage = current->size();
        current = length_storage;
        continue;
      }
      if (part.empty() || part.size() > 9 || (part.size() > 1 && part[0] == '0')) return NullJson();
      size_t index = 0;
      for (char c : part) {
        if (c < '0' || c > '9') return NullJson();
        index = index * 10 + static_cast<size_t>(c - '0');
      }
      if (index >= current->size()) return NullJson();
      current = &(*current)[index];
    } else {
      return NullJson();
    }
  }
  return *current;
}

std::string_view TypeName(const json& value) {
  switch (value.type()) {
    case json::value_t::null:
      return "null";
    case json::value_t::array:
      return "array";
    case json::value_t::object:
      return "object";
    case json::value_t::string:
      return "string";
    case json::value_t::boolean:
      return "boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float:
      return "number";
    default:
      return "unknown";
  }
}

bool IsIn(const json& actual, const MembershipSet& members) {
  if (actual.is_array()) {
    for (const auto& element : actual) {
      if (members.Contains(element)) return true;
    }
    return false;
  }
  return members.Contains(actual);
}

bool EvalOperator(const OperatorMatcher& m, const json& actual) {
  switch (m.op) {
    case Operator::kEq:
      return JsStrictEquals(actual, m.literal);
    case Operator::kNe:
      return !JsStrictEquals(actual, m.literal);
    case Operator::kLt:
      return JsCompare(actual, m.literal) == JsOrder::kLess;
    case Operator::kLte: {
      const JsOrder order = JsCompare(actual, m.literal);
      return order == JsOrder::kLess || order == JsOrder::kEqual;
    }
    case Operator::kGt:
      return JsCompare(actual, m.literal) == JsOrder::kGreater;
    case Operator::kGte: {
      const JsOrder order = JsCompare(actual, m.literal);
      return order == JsOrder::kGreater || order == JsOrder::kEqual;
    }
    case Operator::kExists:
      return m.exists ? !actual.is_null() : actual.is_null();
    case Operator::kIn:
      return IsIn(actual, m.members);
    case Operator::kNin:
      return !IsIn(actual, m.members);
    case Operator::kNot:
      return !EvalValue(m.values.front(), actual);
    case Operator::kSize:
      if (!actual.is_array()) return false;
      return EvalValue(m.values.front(), json(actual.size()));
    case Operator::kElemMatch:
      if (!actual.is_array()) return false;
      for (const auto& element : actual) {
        if (!JsTruthy(element)) continue;  // GrowthBook skips falsy elements.
        const bool matched = m.values.empty() ? EvalCondition(m.elem_condition.front(), element)
                                              : EvalValue(m.values.front(), element);
        if (matched) return true;
      }
      return false;
    case Operator::kAll:
      if (!actual.is_array()) return false;
      for (const ValueMatcher& expected : m.values) {
        bool found = false;
        for (const auto& element : actual) {
          if (EvalValue(expected, element)) {
            found = true;
            break;
          }
        }
        if (!found) return false;
      }
      return true;
    case Operator::kRegex:
      if (actual.is_string())
        return RE2::PartialMatch(actual.get_ref<const std::string&>(), *m.regex);
      return RE2::PartialMatch(JsToString(actual), *m.regex);
    case Operator::kType:
      return TypeName(actual) == m.type_name;
    case Operator::kVeq:
    case Operator::kVne:
    case Operator::kVgt:
    case Operator::kVgte:
    case Operator::kVlt:
    case Operator::kVlte: {
      thread_local std::string padded;  // reused: no allocation per comparison
      PaddedVersionStringTo(actual, &padded);
      const int c = CompareUtf16(padded, m.padded_version);
      switch (m.op) {
        case Operator::kVeq:
          return c == 0;
        case Operator::kVne:
          return c != 0;
        case Operator::kVgt:
          return c > 0;
        case Operator::kVgte:
          return c >= 0;
        case Operator::kVlt:
          return c < 0;
        default:
          return c <= 0;
      }
    }
  }
  return false;
}

bool EvalValue(const ValueMatcher& m, const json& value) {
  switch (m.kind) {
    case ValueMatcher::Kind::kString:
      if (value.is_string()) return value.get_ref<const std::string&>() == m.string_literal;
      return JsToString(value) == m.string_literal;
    case ValueMatcher::Kind::kNumber:
      return JsToNumber(value) == m.number_literal;
    case ValueMatcher::Kind::kBoolean:
      return !value.is_null() && JsTruthy(value) == m.boolean_literal;
    case ValueMatcher::Kind::kNull:
      return value.is_null();
    case ValueMatcher::Kind::kDeepEquals:
      return value == m.json_literal;
    case ValueMatcher::Kind::kOperators:
      for (const OperatorMatcher& op : m.operators) {
        if (!EvalOperator(op, value)) return false;
      }
      return true;
  }
  return false;
}

bool EvalCondition(const ConditionNode& node, const json& object) {
  for (const ConditionNode::Clause& clause : node.clauses) {
    switch (clause.kind) {
      case ConditionNode::ClauseKind::kAnd:
        for (const ConditionNode& child : clause.children) {
          if (!EvalCondition(child, object)) return false;
        }
        break;
      case ConditionNode::ClauseKind::kOr:
      case ConditionNode::ClauseKind::kNor: {
        // An empty $or is true (GrowthBook evalOr), so an empty $nor is false.
        bool any = clause.children.empty();
        for (const ConditionNode& child : clause.children) {
          if (EvalCondition(child, object)) {
            any = true;
            break;
          }
        }
        if (any != (clause.kind == ConditionNode::ClauseKind::kOr)) return false;
        break;
      }
      case ConditionNode::ClauseKind::kNot:
        if (EvalCondition(clause.children.front(), object)) return false;
        break;
      case ConditionNode::ClauseKind::kPath: {
        json length_storage;
        if (!EvalValue(clause.value.front(), GetPath(object, clause.path, &length_storage))) {
          return false;
        }
        break;
      }
    }
  }
  return true;
}

// ---- Compilation ----

std::string Describe(const json& value) {
  std::string text = value.dump();
  constexpr size_t kMaxLength = 60;
  if (text.size() > kMaxLength) text = text.substr(0, kMaxLength) + "...";
  return absl::StrCat(value.type_name(), " ", text);
}

absl::Status Invalid(absl::string_view where, absl::string_view rule) {
  return absl::InvalidArgumentError(absl::StrCat(where, ": ", rule));
}

// GrowthBook isOperatorObject: non-empty with every key starting with "$".
bool IsOperatorObject(const json& value) {
  if (!value.is_object() || value.empty()) return false;
  for (const auto& item : value.items()) {
    if (item.key().empty() || item.key()[0] != '$') return false;
  }
  return true;
}

bool HasOperatorKey(const json& value) {
  for (const auto& item : value.items()) {
    if (!item.key().empty() && item.key()[0] == '$') return true;
  }
  return false;
}

absl::StatusOr<ConditionNode> CompileCondition(const json& condition, const std::string& where);
absl::StatusOr<ValueMatcher> CompileValue(const json& value, const std::string& where);

absl::StatusOr<std::vector<ConditionNode>> CompileConditionList(const json& list,
                                                                const std::string& where) {
  if (!list.is_array()) {
    return Invalid(where, absl::StrCat("must be an array of conditions, got ", Describe(list)));
  }
  std::vector<ConditionNode> nodes;
  nodes.reserve(list.size());
  for (size_t i = 0; i < list.size(); ++i) {
    LIFT_ASSIGN_OR_RETURN(ConditionNode node,
                          CompileCondition(list[i], absl::StrCat(where, "[", i, "]")));
    nodes.push_back(std::move(node));
  }
  return nodes;
}

absl::StatusOr<ConditionNode> CompileCondition(const json& condition, const std::string& where) {
  if (!condition.is_object()) {
    return Invalid(where, absl::StrCat("must be a JSON object, got ", Describe(condition)));
  }
  ConditionNode node;
  for (const auto& item : condition.items()) {
    const std::string& key = item.key();
    ConditionNode::Clause clause;
    if (key == "$and" || key == "$or" || key == "$nor") {
      clause.kind = key == "$and"  ? ConditionNode::ClauseKind::kAnd
                    : key == "$or" ? ConditionNode::ClauseKind::kOr
                                   : ConditionNode::ClauseKind::kNor;
      LIFT_ASSIGN_OR_RETURN(clause.children,
                            CompileConditionList(item.value(), absl::StrCat(where, ".", key)));
    } else if (key == "$not") {
      clause.kind = ConditionNode::ClauseKind::kNot;
      LIFT_ASSIGN_OR_RETURN(ConditionNode child,
                            CompileCondition(item.value(), absl::StrCat(where, ".$not")));
      clause.children.push_back(std::move(child));
    } else {
      // Any other key, including other "$" names such as "$groups", is an attribute path.
      if (key.empty()) return Invalid(where, "attribute path must not be empty");
      clause.kind = ConditionNode::ClauseKind::kPath;
      size_t start = 0;
      while (true) {
        const size_t dot = key.find('.', start);
        clause.path.push_back(key.substr(start, dot == std::string::npos ? dot : dot - start));
        if (dot == std::string::npos) break;
        start = dot + 1;
      }
      LIFT_ASSIGN_OR_RETURN(ValueMatcher matcher,
                            CompileValue(item.value(), absl::StrCat(where, "[\"", key, "\"]")));
      clause.value.push_back(std::move(matcher));
    }
    node.clauses.push_back(std::move(clause));
  }
  return node;
}

absl::Status RequireScalar(const json& operand, absl::string_view where, absl::string_view op) {
  if (operand.is_array() || operand.is_object()) {
    return Invalid(where, absl::StrCat(op,
                                       " compares with JavaScript ===, which never matches an "
                                       "array or object; got ",
                                       Describe(operand)));
  }
  return absl::OkStatus();
}

absl::StatusOr<OperatorMatcher> CompileOperator(const std::string& op, const json& operand,
                                                const std::string& where) {
  OperatorMatcher m;
  if (op == "$eq" || op == "$ne") {
    m.op = op == "$eq" ? Operator::kEq : Operator::kNe;
    LIFT_RETURN_IF_ERROR(RequireScalar(operand, where, op));
    m.literal = operand;
  } else if (op == "$lt" || op == "$lte" || op == "$gt" || op == "$gte") {
    m.op = op == "$lt"    ? Operator::kLt
           : op == "$lte" ? Operator::kLte
           : op == "$gt"  ? Operator::kGt
                          : Operator::kGte;
    if (!operand.is_number() && !operand.is_string()) {
      return Invalid(where, absl::StrCat("must be a number or a string, got ", Describe(operand)));
    }
    m.literal = operand;
  } else if (op == "$exists") {
    m.op = Operator::kExists;
    if (!operand.is_boolean() && !operand.is_number()) {
      return Invalid(where, absl::StrCat("must be true or false, got ", Describe(operand)));
    }
    m.exists = JsTruthy(operand);
  } else if (op == "$in" || op == "$nin") {
    m.op = op == "$in" ? Operator::kIn : Operator::kNin;
    if (!operand.is_array()) {
      return Invalid(where, absl::StrCat("must be an array, got ", Describe(operand)));
    }
    for (const auto& element : operand) {
      if (element.is_string()) {
        m.members.strings.insert(element.get<std::string>());
      } else {
        m.members.others.push_back(element);
      }
    }
  } else if (op == "$not") {
    m.op = Operator::kNot;
    LIFT_ASSIGN_OR_RETURN(ValueMatcher value, CompileValue(operand, where));
    m.values.push_back(std::move(value));
  } else if (op == "$size") {
    m.op = Operator::kSize;
    if (!operand.is_number() && !IsOperatorObject(operand)) {
      return Invalid(
          where, absl::StrCat("must be a number or an operator object, got ", Describe(operand)));
    }
    LIFT_ASSIGN_OR_RETURN(ValueMatcher value, CompileValue(operand, where));
    m.values.push_back(std::move(value));
  } else if (op == "$elemMatch") {
    m.op = Operator::kElemMatch;
    if (!operand.is_object()) {
      return Invalid(where, absl::StrCat("must be an object, got ", Describe(operand)));
    }
    if (IsOperatorObject(operand)) {
      LIFT_ASSIGN_OR_RETURN(ValueMatcher value, CompileValue(operand, where));
      m.values.push_back(std::move(value));
    } else {
      LIFT_ASSIGN_OR_RETURN(ConditionNode node, CompileCondition(operand, where));
      m.elem_condition.push_back(std::move(node));
    }
  } else if (op == "$all") {
    m.op = Operator::kAll;
    if (!operand.is_array()) {
      return Invalid(where, absl::StrCat("must be an array, got ", Describe(operand)));
    }
    for (size_t i = 0; i < operand.size(); ++i) {
      LIFT_ASSIGN_OR_RETURN(ValueMatcher value,
                            CompileValue(operand[i], absl::StrCat(where, "[", i, "]")));
      m.values.push_back(std::move(value));
    }
  } else if (op == "$regex") {
    m.op = Operator::kRegex;
    if (!operand.is_string()) {
      return Invalid(where, absl::StrCat("must be a string, got ", Describe(operand)));
    }
    RE2::Options options;
    options.set_log_errors(false);
    auto regex = std::make_shared<const RE2>(operand.get<std::string>(), options);
    if (!regex->ok()) {
      return Invalid(where, absl::StrCat("is not a valid regular expression (RE2 syntax: no "
                                         "backreferences or lookaround): ",
                                         regex->error()));
    }
    m.regex = std::move(regex);
  } else if (op == "$type") {
    m.op = Operator::kType;
    static const char* const kTypes[] = {"string", "number", "boolean", "object", "array", "null"};
    bool known = false;
    if (operand.is_string()) {
      for (const char* type : kTypes) known = known || operand.get<std::string>() == type;
    }
    if (!known) {
      return Invalid(where, absl::StrCat("must be one of \"string\", \"number\", \"boolean\", "
                                         "\"object\", \"array\", \"null\"; got ",
                                         Describe(operand)));
    }
    m.type_name = operand.get<std::string>();
  } else if (op == "$veq" || op == "$vne" || op == "$vgt" || op == "$vgte" || op == "$vlt" ||
             op == "$vlte") {
    m.op = op == "$veq"    ? Operator::kVeq
           : op == "$vne"  ? Operator::kVne
           : op == "$vgt"  ? Operator::kVgt
           : op == "$vgte" ? Operator::kVgte
           : op == "$vlt"  ? Operator::kVlt
                           : Operator::kVlte;
    if (!operand.is_string() && !operand.is_number()) {
      return Invalid(where, absl::StrCat("must be a version string, got ", Describe(operand)));
    }
    m.padded_version = PaddedVersionString(operand);
  } else {
    return Invalid(where, absl::StrCat("unknown operator ", op));
  }
  return m;
}

absl::StatusOr<ValueMatcher> CompileValue(const json& value, const std::string& where) {
  ValueMatcher m;
  switch (value.type()) {
    case json::value_t::string:
      m.kind = ValueMatcher::Kind::kString;
      m.string_literal = value.get<std::string>();
      return m;
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float:
      m.kind = ValueMatcher::Kind::kNumber;
      m.number_literal = value.get<double>();
      return m;
    case json::value_t::boolean:
      m.kind = ValueMatcher::Kind::kBoolean;
      m.boolean_literal = value.get<bool>();
      return m;
    case json::value_t::null:
      m.kind = ValueMatcher::Kind::kNull;
      return m;
    case json::value_t::array:
      m.kind = ValueMatcher::Kind::kDeepEquals;
      m.json_literal = value;
      return m;
    case json::value_t::object:
      break;
    default:
      return Invalid(where, absl::StrCat("unsupported value ", value.type_name()));
  }
  if (!IsOperatorObject(value)) {
    if (HasOperatorKey(value)) {
      return Invalid(where,
                     "mixes operators (keys starting with \"$\") and plain keys; use only "
                     "operators, or only plain keys for deep equality");
    }
    m.kind = ValueMatcher::Kind::kDeepEquals;
    m.json_literal = value;
    return m;
  }
  m.kind = ValueMatcher::Kind::kOperators;
  for (const auto& item : value.items()) {
    LIFT_ASSIGN_OR_RETURN(
        OperatorMatcher op,
        CompileOperator(item.key(), item.value(), absl::StrCat(where, ".", item.key())));
    m.operators.push_back(std::move(op));
  }
  return m;
}

}  // namespace
}  // namespace condition_internal

absl::StatusOr<Condition> Condition::Compile(const nlohmann::json& condition) {
  Condition compiled;
  if (condition.is_null() || (condition.is_object() && condition.empty())) return compiled;
  if (JsonNestsDeeperThan(condition, kMaxConditionDepth)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "condition: nests objects and arrays more than ", kMaxConditionDepth, " levels deep"));
  }
  LIFT_ASSIGN_OR_RETURN(condition_internal::ConditionNode root,
                        condition_internal::CompileCondition(condition, "condition"));
  compiled.root_ = std::make_shared<const condition_internal::ConditionNode>(std::move(root));
  return compiled;
}

bool Condition::Matches(const nlohmann::json& attributes) const {
  if (root_ == nullptr) return true;
  return condition_internal::EvalCondition(*root_, attributes);
}

}  // namespace lift::assignment

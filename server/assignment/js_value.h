// JavaScript value semantics over JSON, as GrowthBook's condition evaluator relies on them.
//
// GrowthBook evaluates targeting conditions with JavaScript operators (`===`, `<`, `value + ""`,
// `value * 1`, `!!value`), so a condition such as {"n": {"$gt": 5}} matches the string "8". To give
// the same answers, Lift reproduces the ECMAScript abstract operations on JSON values:
//   ToString (Number::toString for numbers, Array.prototype.join for arrays, "[object Object]"),
//   ToNumber (StringToNumber grammar incl. whitespace trimming, 0x/0o/0b, Infinity),
//   ToBoolean (truthiness), strict equality (===; arrays and objects are never === to a literal),
//   the abstract relational comparison behind < <= > >= (strings compare by UTF-16 code units,
//   anything else numerically, NaN is unordered).
// Source: ECMAScript 2023 §7.1 (type conversion), §7.2.13 (IsLessThan), §7.2.15 (IsStrictlyEqual).
//
// A missing attribute is represented by JSON null (GrowthBook's getPath returns null for it).
// Thread safety: pure functions.
#ifndef LIFT_SERVER_ASSIGNMENT_JS_VALUE_H_
#define LIFT_SERVER_ASSIGNMENT_JS_VALUE_H_

#include <string>
#include <string_view>

#include "nlohmann/json.hpp"

namespace lift::assignment {

// JavaScript Number::toString(10): "1", "0.1", "1e+21", "1e-7", "NaN", "-Infinity"; -0 is "0".
std::string JsNumberToString(double value);

// JavaScript StringToNumber: NaN when `text` is not a numeric literal after trimming whitespace;
// 0 for empty or all-whitespace text.
double JsStringToNumber(std::string_view text);

// ToString(value) for a JSON value (`value + ""` in JavaScript).
std::string JsToString(const nlohmann::json& value);

// ToNumber(value) for a JSON value (`value * 1`): null -> 0, booleans -> 0/1, strings parsed,
// arrays via their string form ([] -> 0, [5] -> 5), objects -> NaN.
double JsToNumber(const nlohmann::json& value);

// ToBoolean(value) (`!!value`): false for null, false, 0, NaN and ""; true otherwise.
bool JsTruthy(const nlohmann::json& value);

// a === b. Numbers compare by value (1 === 1.0), arrays and objects are never strictly equal (in
// JavaScript they would have to be the same reference).
bool JsStrictEquals(const nlohmann::json& a, const nlohmann::json& b);

// Result of the abstract relational comparison.
enum class JsOrder { kLess, kEqual, kGreater, kUnordered };

// Compares like JavaScript's < and >: when both operands (after ToPrimitive) are strings they are
// compared by UTF-16 code units, otherwise both are converted with ToNumber; NaN gives kUnordered
// (every comparison false). a <= b is (order == kLess || order == kEqual).
JsOrder JsCompare(const nlohmann::json& a, const nlohmann::json& b);

// Compares two UTF-8 strings by their UTF-16 code units, as JavaScript compares strings. Returns
// <0, 0 or >0. Differs from byte order only for code points above U+FFFF versus U+E000..U+FFFF.
int CompareUtf16(std::string_view a, std::string_view b);

}  // namespace lift::assignment

#endif  // LIFT_SERVER_ASSIGNMENT_JS_VALUE_H_

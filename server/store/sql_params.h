// Building parameterised SQL safely: every user-supplied value (event and property names, values,
// instants) becomes a bound parameter `$k::type`, never SQL text. Shared by the readout
// aggregation, the weekly review's queries and launch analyses.
//
//   SqlParams        binds values; an equal (value, type) binds once, so equal conditions are
//                    equal SQL text (PostgreSQL then also shares identical aggregate calls)
//   SqlColumns       named expressions computed once each ("<expression> AS <prefix><k>")
//   JsonAttributeTest  NULL-safe test of one key of a jsonb column against text values
//
// Thread safety: plain values, used by one thread while a statement is built.
#ifndef LIFT_SERVER_STORE_SQL_PARAMS_H_
#define LIFT_SERVER_STORE_SQL_PARAMS_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace lift::store {

class SqlParams {
 public:
  // Binds `value` and returns "$k::type".
  std::string Bind(std::string value, const std::string& type);
  // Binds a Unix epoch microsecond instant as a timestamptz (so partitions prune at plan time).
  std::string BindTimestamp(int64_t micros);
  // The values of $1, $2, ... as text (the SQL casts them); leaves this object empty.
  std::vector<std::string> TakeParams() { return std::move(params_); }

 private:
  std::vector<std::string> params_;
  std::map<std::string, std::string> bound_;
};

class SqlColumns {
 public:
  explicit SqlColumns(std::string prefix) : prefix_(std::move(prefix)) {}
  // The alias of `expression`, adding the column the first time it is seen.
  std::string Add(const std::string& expression);
  // ",\n    expr AS alias" for every column, in the order added.
  const std::string& list() const { return list_; }

 private:
  std::string prefix_;
  std::map<std::string, std::string> aliases_;
  std::string list_;
};

// "YYYY-MM-DD HH:MM:SS.ffffff+00" for a Unix epoch microsecond instant (a timestamptz literal).
std::string TimestampLiteral(int64_t micros);

// Boolean SQL (never NULL) testing `column ->> attribute` (compared as text) with `op`: "equal"
// and "in" are false when the key is absent; "not_equal" and "not_in" are true then.
// `values` holds one value for the first two, one or more for the others.
std::string JsonAttributeTest(const std::string& column, const std::string& attribute,
                              const std::string& op, const std::vector<std::string>& values,
                              SqlParams& params);

}  // namespace lift::store

#endif  // LIFT_SERVER_STORE_SQL_PARAMS_H_

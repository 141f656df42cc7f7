// AuditLog: reads audit_log (migrations/0001_init.up.sql), newest first, with filters and keyset
// pagination. Every filter is a bound parameter. Writers are the stores that make changes (each in
// the transaction of its change); this class only reads.
//
// Thread safety: thread-safe.
#ifndef LIFT_SERVER_AUTH_AUDIT_LOG_H_
#define LIFT_SERVER_AUTH_AUDIT_LOG_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "server/store/connection_pool.h"

namespace lift::auth {

struct AuditFilter {
  int64_t since_micros = 0;  // inclusive; 0: open
  int64_t until_micros = 0;  // exclusive; 0: open
  std::string actor;         // empty: any
  std::string entity_type;   // empty: any
  std::string entity_key;    // empty: any (requires entity_type)
};

struct AuditEntryRecord {
  int64_t id = 0;
  int64_t occurred_at_micros = 0;
  std::string actor;
  std::string action;
  std::string entity_type;
  std::string entity_key;
  std::string before_json;  // empty when NULL
  std::string after_json;
};

struct AuditPage {
  std::vector<AuditEntryRecord> entries;
  std::string next_page_token;  // empty on the last page
};

class AuditLog {
 public:
  explicit AuditLog(store::ConnectionPool* pool) : pool_(pool) {}

  // Entries matching `filter`, newest first (occurred_at, then id, descending). page_size 0 means
  // 50, capped at 1000. InvalidArgument for a negative page size, entity_key without entity_type,
  // since >= until, or a page token this method did not produce.
  absl::StatusOr<AuditPage> List(const AuditFilter& filter, int page_size,
                                 const std::string& page_token);

 private:
  store::ConnectionPool* pool_;
};

}  // namespace lift::auth

#endif  // LIFT_SERVER_AUTH_AUDIT_LOG_H_

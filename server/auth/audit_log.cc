#include "server/auth/audit_log.h"

#include <optional>
#include <pqxx/pqxx>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace lift::auth {
namespace {

constexpr int kDefaultPageSize = 50;
constexpr int kMaxPageSize = 1000;

// Page tokens are "<occurred_at micros>.<id>" of the last entry returned.
absl::Status ParseToken(const std::string& token, int64_t* micros, int64_t* id) {
  std::vector<std::string> parts = absl::StrSplit(token, '.');
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], micros) || !absl::SimpleAtoi(parts[1], id)) {
    return absl::InvalidArgumentError(
        "page.page_token is not a token returned by ListAuditEntries");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<AuditPage> AuditLog::List(const AuditFilter& filter, int page_size,
                                         const std::string& page_token) {
  if (page_size < 0) {
    return absl::InvalidArgumentError(absl::StrCat("page.page_size must be >= 0, got ", page_size));
  }
  if (page_size == 0) page_size = kDefaultPageSize;
  page_size = std::min(page_size, kMaxPageSize);
  if (!filter.entity_key.empty() && filter.entity_type.empty()) {
    return absl::InvalidArgumentError("entity_key requires entity_type");
  }
  if (filter.since_micros != 0 && filter.until_micros != 0 &&
      filter.since_micros >= filter.until_micros) {
    return absl::InvalidArgumentError("time_range.start_micros must be before end_micros");
  }
  std::optional<int64_t> after_micros;
  std::optional<int64_t> after_id;
  if (!page_token.empty()) {
    int64_t micros = 0;
    int64_t id = 0;
    if (absl::Status parsed = ParseToken(page_token, &micros, &id); !parsed.ok()) return parsed;
    after_micros = micros;
    after_id = id;
  }
  auto optional_text = [](const std::string& text) -> std::optional<std::string> {
    if (text.empty()) return std::nullopt;
    return text;
  };
  auto optional_micros = [](int64_t micros) -> std::optional<int64_t> {
    if (micros == 0) return std::nullopt;
    return micros;
  };
  AuditPage page;
  absl::Status status = pool_->Run([&](pqxx::work& work) -> absl::Status {
    // occurred_at is compared in microseconds, the resolution of page tokens and of timestamptz.
    const pqxx::result rows = work.exec_params(
        "SELECT id, (extract(epoch FROM occurred_at) * 1000000)::bigint AS micros, actor, action, "
        "entity_type, entity_key, COALESCE(before::text, ''), COALESCE(after::text, '') "
        "FROM audit_log "
        "WHERE ($1::bigint IS NULL OR occurred_at >= (timestamptz 'epoch' + $1::bigint * interval "
        "'1 microsecond')) "
        "AND ($2::bigint IS NULL OR occurred_at < (timestamptz 'epoch' + $2::bigint * interval '1 "
        "microsecond')) "
        "AND ($3::text IS NULL OR actor = $3) "
        "AND ($4::text IS NULL OR entity_type = $4) "
        "AND ($5::text IS NULL OR entity_key = $5) "
        "AND ($6::bigint IS NULL OR (occurred_at, id) < "
        "     ((timestamptz 'epoch' + $6::bigint * interval '1 microsecond'), $7::bigint)) "
        "ORDER BY occurred_at DESC, id DESC LIMIT $8",
        optional_micros(filter.since_micros), optional_micros(filter.until_micros),
        optional_text(filter.actor), optional_text(filter.entity_type),
        optional_text(filter.entity_key), after_micros, after_id, page_size + 1);
    for (const pqxx::row& row : rows) {
      if (static_cast<int>(page.entries.size()) == page_size) {
        const AuditEntryRecord& last = page.entries.back();
        page.next_page_token = absl::StrCat(last.occurred_at_micros, ".", last.id);
        break;
      }
      AuditEntryRecord entry;
      entry.id = row[0].as<int64_t>();
      entry.occurred_at_micros = row[1].as<int64_t>();
      entry.actor = row[2].as<std::string>();
      entry.action = row[3].as<std::string>();
      entry.entity_type = row[4].as<std::string>();
      entry.entity_key = row[5].as<std::string>();
      entry.before_json = row[6].as<std::string>();
      entry.after_json = row[7].as<std::string>();
      page.entries.push_back(std::move(entry));
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return page;
}

}  // namespace lift::auth

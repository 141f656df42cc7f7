#include "server/ingest/partition_manager.h"

#include <pqxx/pqxx>

#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace lift::ingest {
namespace {

constexpr int64_t kMicrosPerDay = 86400LL * 1000000;
constexpr int64_t kPartitionLockKey = 0x6C696670;  // "lifp"

absl::CivilDay CivilDayOf(int64_t day) { return absl::CivilDay(1970, 1, 1) + day; }

std::string DateLiteral(int64_t day) {
  const absl::CivilDay civil = CivilDayOf(day);
  return absl::StrFormat("%04d-%02d-%02d 00:00:00+00", civil.year(), civil.month(), civil.day());
}

}  // namespace

int64_t DayOf(int64_t timestamp_micros) {
  // Floor division: timestamps before 1970 belong to negative days.
  return timestamp_micros >= 0 ? timestamp_micros / kMicrosPerDay
                               : -((-timestamp_micros + kMicrosPerDay - 1) / kMicrosPerDay);
}

std::string PartitionManager::PartitionName(int64_t day) const {
  const absl::CivilDay civil = CivilDayOf(day);
  return absl::StrFormat("%s_p%04d%02d%02d", table_, civil.year(), civil.month(), civil.day());
}

void PartitionManager::Ensure(pqxx::connection& connection,
                              const std::vector<int64_t>& timestamps_micros) {
  std::set<int64_t> missing;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (int64_t micros : timestamps_micros) {
      const int64_t day = DayOf(micros);
      if (known_days_.count(day) == 0) missing.insert(day);
    }
  }
  if (missing.empty()) return;
  pqxx::work tx(connection);
  tx.exec_params("SELECT pg_advisory_xact_lock($1)", kPartitionLockKey);
  for (int64_t day : missing) {
    tx.exec(absl::StrFormat(
        "CREATE TABLE IF NOT EXISTS %s PARTITION OF %s FOR VALUES FROM ('%s') TO ('%s')",
        PartitionName(day), table_, DateLiteral(day), DateLiteral(day + 1)));
  }
  tx.commit();
  std::lock_guard<std::mutex> lock(mutex_);
  known_days_.insert(missing.begin(), missing.end());
}

}  // namespace lift::ingest

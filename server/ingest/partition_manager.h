// Daily range partitions of the traffic tables (exposures, metric_events). Ensure() creates the
// partitions covering the given timestamps if they are missing, under a transaction-level advisory
// lock so concurrent writers and replicas do not race; a per-process cache makes the common case
// (partition known) free. Partition names derive from dates only, never from user input.
// Thread-safe.
#ifndef LIFT_SERVER_INGEST_PARTITION_MANAGER_H_
#define LIFT_SERVER_INGEST_PARTITION_MANAGER_H_

#include <cstdint>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <pqxx/connection>

namespace lift::ingest {

class PartitionManager {
 public:
  // `table` is a partitioned table of this schema (a fixed name chosen by the caller).
  explicit PartitionManager(std::string table) : table_(std::move(table)) {}

  // Creates the missing daily partitions for the UTC days of `timestamps_micros`. Throws what
  // libpqxx throws (the caller maps it to a Status).
  void Ensure(pqxx::connection& connection, const std::vector<int64_t>& timestamps_micros);

  // The partition's name for a UTC day number (days since 1970-01-01), e.g. "metric_events_p20261122".
  std::string PartitionName(int64_t day) const;

 private:
  const std::string table_;
  std::mutex mutex_;
  std::set<int64_t> known_days_;
};

// Days since 1970-01-01 (UTC) of a Unix epoch microsecond timestamp.
int64_t DayOf(int64_t timestamp_micros);

}  // namespace lift::ingest

#endif  // LIFT_SERVER_INGEST_PARTITION_MANAGER_H_

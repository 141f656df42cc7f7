// LaunchStore: every SQL statement of the launch registry (table `launches`,
// migrations/0006_launches.up.sql), parameterised, over store::ConnectionPool.
//
// Create() inserts a launch and its audit_log row ("launch.create", entity_type "launch", after =
// launch.h's LaunchJson) in one transaction. Launches are not edited: the analysis of a registered
// launch is reproducible from its row and the events.
//
// Errors: AlreadyExists "launch 'k' already exists" for a taken key; database failures as
// store::StatusFromDatabaseError maps them (Unavailable when down). "Not found" is an empty
// optional.
//
// Thread safety: thread-safe (each call borrows its own connection).
#ifndef LIFT_SERVER_LAUNCH_LAUNCH_STORE_H_
#define LIFT_SERVER_LAUNCH_LAUNCH_STORE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "server/launch/launch.h"
#include "server/store/connection_pool.h"

namespace lift::launch {

class LaunchStore {
 public:
  // `pool` must outlive the store.
  explicit LaunchStore(store::ConnectionPool* pool) : pool_(pool) {}

  // Inserts `launch` (already validated) as created now by `actor`; returns it with created_*.
  absl::StatusOr<Launch> Create(const Launch& launch, const std::string& actor);
  absl::StatusOr<std::optional<Launch>> Find(const std::string& key);
  // Launches with launch_at in [from_micros, to_micros) (0 = unbounded), by launch_at then key.
  absl::StatusOr<std::vector<Launch>> List(int64_t from_micros, int64_t to_micros);

 private:
  store::ConnectionPool* pool_;
};

}  // namespace lift::launch

#endif  // LIFT_SERVER_LAUNCH_LAUNCH_STORE_H_

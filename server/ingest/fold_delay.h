// The default delay between an exposure commit and the background fold of first exposures
// (first_exposure_folder.h), in a header of its own so that liftd's options (lift_server.h) can
// use it without the ingest and libpqxx headers.
#ifndef LIFT_SERVER_INGEST_FOLD_DELAY_H_
#define LIFT_SERVER_INGEST_FOLD_DELAY_H_

#include <chrono>

namespace lift::ingest {

// Long enough that a burst of flushes folds in one go (a unit exposed many times then costs one
// probe, and the fold does not compete with the burst's own writes), short enough that readers,
// which fold what is left synchronously, rarely find much.
inline constexpr std::chrono::milliseconds kDefaultFoldDelay{5000};

}  // namespace lift::ingest

#endif  // LIFT_SERVER_INGEST_FOLD_DELAY_H_

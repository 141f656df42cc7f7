#include "server/ingest/exposure_sink_adapter.h"

#include <random>

#include "absl/strings/str_cat.h"

namespace lift::ingest {
namespace {

std::string RandomBootId() {
  std::random_device device;
  return absl::StrCat(absl::Hex(device(), absl::kZeroPad8), absl::Hex(device(), absl::kZeroPad8));
}

}  // namespace

IngestExposureSink::IngestExposureSink(IngestService* ingest)
    : ingest_(ingest), boot_id_(RandomBootId()) {}

absl::Status IngestExposureSink::Record(absl::Span<const experiments::ServedExposure> exposures) {
  std::vector<ExposureRow> rows;
  rows.reserve(exposures.size());
  for (const auto& served : exposures) {
    if (served.forced) continue;
    ExposureRow row;
    row.unit_id = std::string(served.unit_id);
    row.experiment_key = std::string(served.experiment_key);
    row.event_id = absl::StrCat("assign:", boot_id_, ":", counter_.fetch_add(1));
    row.timestamp_micros = served.timestamp_micros;
    row.phase = served.phase;
    row.variant_key = std::string(served.variant_key);
    if (served.attributes != nullptr && served.attributes->is_object() &&
        !served.attributes->empty()) {
      row.attributes_json = served.attributes->dump(-1, ' ', false,
                                                    nlohmann::json::error_handler_t::replace);
    }
    rows.push_back(std::move(row));
  }
  return ingest_->RecordAssignedExposures(std::move(rows));
}

}  // namespace lift::ingest

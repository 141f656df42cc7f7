#include "server/grpc/assignment_service.h"

#include <google/protobuf/arena.h>
#include <grpcpp/support/message_allocator.h>

#include <chrono>
#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "server/assignment/engine.h"
#include "server/assignment/js_value.h"
#include "server/grpc/experiment_proto.h"
#include "server/grpc_status.h"
#include "server/wall_clock.h"

namespace lift {
namespace {

using assignment::Assignment;
using assignment::Attributes;
using assignment::Snapshot;

// Request and response of one call on one arena: one allocation per call instead of one per
// message and string.
// `start_block_bytes` fits a typical call, so most calls allocate one block.
template <typename Request, typename Response>
class ArenaMessageAllocator final : public grpc::MessageAllocator<Request, Response> {
 public:
  explicit ArenaMessageAllocator(size_t start_block_bytes)
      : start_block_bytes_(start_block_bytes) {}

  grpc::MessageHolder<Request, Response>* AllocateMessages() override {
    return new Holder(start_block_bytes_);
  }

 private:
  class Holder final : public grpc::MessageHolder<Request, Response> {
   public:
    explicit Holder(size_t start_block_bytes) : arena_(Options(start_block_bytes)) {
      this->set_request(google::protobuf::Arena::CreateMessage<Request>(&arena_));
      this->set_response(google::protobuf::Arena::CreateMessage<Response>(&arena_));
    }
    void Release() override { delete this; }

   private:
    static google::protobuf::ArenaOptions Options(size_t start_block_bytes) {
      google::protobuf::ArenaOptions options;
      options.start_block_size = start_block_bytes;
      options.max_block_size = 4 * 1024 * 1024;
      return options;
    }
    google::protobuf::Arena arena_;
  };

  const size_t start_block_bytes_;
};

// The unit's attributes. `field` names the unit in messages ("unit" or "units[17]").
absl::StatusOr<Attributes> UnitAttributes(const v1::Unit& unit,
                                          const std::function<std::string()>& field) {
  const bool has_map = !unit.attributes().empty();
  const bool has_json = !unit.attributes_json().empty();
  if (has_map && has_json) {
    return absl::InvalidArgumentError(
        absl::StrCat(field(), ": set attributes or attributes_json, not both"));
  }
  if (has_json) {
    if (unit.attributes_json().size() > kMaxAttributesJsonBytes) {
      return absl::InvalidArgumentError(absl::StrCat(field(), ".attributes_json must be at most ",
                                                     kMaxAttributesJsonBytes, " bytes, got ",
                                                     unit.attributes_json().size()));
    }
    nlohmann::json json =
        nlohmann::json::parse(unit.attributes_json(), nullptr, /*allow_exceptions=*/false);
    if (json.is_discarded() || !json.is_object()) {
      return absl::InvalidArgumentError(
          absl::StrCat(field(), ".attributes_json must be a JSON object, e.g. {\"id\": \"u1\"}"));
    }
    if (json.size() > static_cast<size_t>(kMaxAttributesPerUnit)) {
      return absl::InvalidArgumentError(absl::StrCat(field(), ".attributes_json must have at most ",
                                                     kMaxAttributesPerUnit, " keys, got ",
                                                     json.size()));
    }
    return Attributes::FromJson(std::move(json));
  }
  if (!has_map) {
    return absl::InvalidArgumentError(absl::StrCat(
        field(),
        ": attributes are required (the unit id goes under the experiments' unit_type, "
        "e.g. attributes[\"id\"])"));
  }
  if (unit.attributes().size() > static_cast<size_t>(kMaxAttributesPerUnit)) {
    return absl::InvalidArgumentError(absl::StrCat(field(), ".attributes must have at most ",
                                                   kMaxAttributesPerUnit, " entries, got ",
                                                   unit.attributes().size()));
  }
  return Attributes::FromStrings(unit.attributes());
}

absl::Status CheckExperimentKeys(const google::protobuf::RepeatedPtrField<std::string>& keys) {
  if (keys.size() > kMaxExperimentKeysPerAssign) {
    return absl::InvalidArgumentError(absl::StrCat("experiment_keys must have at most ",
                                                   kMaxExperimentKeysPerAssign, " entries, got ",
                                                   keys.size()));
  }
  for (int i = 0; i < keys.size(); ++i) {
    if (keys[i].empty()) {
      return absl::InvalidArgumentError(absl::StrCat("experiment_keys[", i, "] must not be empty"));
    }
  }
  return absl::OkStatus();
}

// Evaluates the unit for `keys` (every running experiment when empty), replacing *out.
void EvaluateUnit(const Snapshot& snapshot, const Attributes& attributes,
                  const google::protobuf::RepeatedPtrField<std::string>& keys,
                  std::vector<Assignment>* out) {
  out->clear();
  assignment::UnitEvaluator evaluator(snapshot, attributes);
  if (keys.empty()) {
    evaluator.EvaluateAllRunning(out);
    return;
  }
  out->reserve(static_cast<size_t>(keys.size()));
  for (const std::string& key : keys) out->push_back(evaluator.Evaluate(key));
}

// Appends the exposures among `results` (in_experiment) to *exposures; non-string unit ids are
// converted into `storage` (which must outlive the exposures).
void CollectExposures(const Snapshot& snapshot, const Attributes& attributes,
                      const std::vector<Assignment>& results, int64_t now_micros,
                      std::deque<std::string>* storage,
                      std::vector<experiments::ServedExposure>* exposures) {
  for (const Assignment& a : results) {
    if (!a.in_experiment) continue;
    const assignment::CompiledExperiment* experiment = snapshot.Find(a.experiment_key);
    if (experiment == nullptr) continue;
    const nlohmann::json* id = attributes.Find(experiment->hash_attribute);
    if (id == nullptr) continue;
    std::string_view unit_id;
    if (id->is_string()) {
      unit_id = id->get_ref<const std::string&>();
    } else {
      storage->push_back(assignment::JsToString(*id));
      unit_id = storage->back();
    }
    experiments::ServedExposure exposure;
    exposure.experiment_key = a.experiment_key;
    exposure.variant_key = a.variant_key;
    exposure.unit_id = unit_id;
    exposure.phase = a.phase;
    exposure.forced = a.reason == assignment::Reason::kOverride;
    exposure.timestamp_micros = now_micros;
    exposure.attributes = &attributes.json();
    exposures->push_back(exposure);
  }
}

absl::Status NotLoaded() {
  return absl::UnavailableError("the experiment configuration has not been loaded yet; retry");
}

}  // namespace

class AssignmentServiceImpl::Allocators {
 public:
  ArenaMessageAllocator<v1::AssignRequest, v1::AssignResponse> assign{2 * 1024};
  ArenaMessageAllocator<v1::AssignBatchRequest, v1::AssignBatchResponse> batch{256 * 1024};
};

AssignmentServiceImpl::AssignmentServiceImpl(SnapshotSource snapshots)
    : snapshots_(std::move(snapshots)),
      sink_(std::make_shared<experiments::NoopExposureSink>()),
      allocators_(std::make_unique<Allocators>()) {
  SetMessageAllocatorFor_Assign(&allocators_->assign);
  SetMessageAllocatorFor_AssignBatch(&allocators_->batch);
}

AssignmentServiceImpl::~AssignmentServiceImpl() = default;

void AssignmentServiceImpl::SetExposureSink(std::shared_ptr<experiments::ExposureSink> sink) {
  if (sink == nullptr) sink = std::make_shared<experiments::NoopExposureSink>();
  std::atomic_store(&sink_, std::move(sink));
}

grpc::ServerUnaryReactor* AssignmentServiceImpl::Assign(grpc::CallbackServerContext* context,
                                                        const v1::AssignRequest* request,
                                                        v1::AssignResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  auto finish = [reactor](const absl::Status& status) {
    reactor->Finish(ToGrpcStatus(status));
    return reactor;
  };
  const std::shared_ptr<const Snapshot> snapshot = snapshots_();
  if (snapshot == nullptr) return finish(NotLoaded());
  if (absl::Status status = CheckExperimentKeys(request->experiment_keys()); !status.ok()) {
    return finish(status);
  }
  absl::StatusOr<Attributes> attributes =
      UnitAttributes(request->unit(), [] { return std::string("unit"); });
  if (!attributes.ok()) return finish(attributes.status());

  thread_local std::vector<Assignment> results;
  EvaluateUnit(*snapshot, *attributes, request->experiment_keys(), &results);
  auto* out = response->mutable_assignments();
  out->Reserve(static_cast<int>(results.size()));
  for (const Assignment& a : results) AssignmentToProto(a, AssignmentForm::kFull, out->Add());
  response->set_config_version(snapshot->version());

  if (request->log_exposure()) {
    std::deque<std::string> storage;
    std::vector<experiments::ServedExposure> exposures;
    CollectExposures(*snapshot, *attributes, results, WallClockMicros(), &storage, &exposures);
    response->set_exposures_accepted(exposures.empty() ||
                                     std::atomic_load(&sink_)->Record(exposures).ok());
  }
  return finish(absl::OkStatus());
}

grpc::ServerUnaryReactor* AssignmentServiceImpl::AssignBatch(grpc::CallbackServerContext* context,
                                                             const v1::AssignBatchRequest* request,
                                                             v1::AssignBatchResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  auto finish = [reactor](const absl::Status& status) {
    reactor->Finish(ToGrpcStatus(status));
    return reactor;
  };
  const std::shared_ptr<const Snapshot> snapshot = snapshots_();
  if (snapshot == nullptr) return finish(NotLoaded());
  const int num_units = request->units_size();
  if (num_units < 1 || num_units > kMaxUnitsPerBatch) {
    return finish(absl::InvalidArgumentError(
        absl::StrCat("units must have 1 to ", kMaxUnitsPerBatch, " entries, got ", num_units)));
  }
  if (absl::Status status = CheckExperimentKeys(request->experiment_keys()); !status.ok()) {
    return finish(status);
  }

  // The column order: the requested keys, or the snapshot's running experiments.
  auto* columns = response->mutable_experiment_keys();
  if (request->experiment_keys().empty()) {
    columns->Reserve(static_cast<int>(snapshot->running().size()));
    for (const assignment::CompiledExperiment* e : snapshot->running())
      columns->Add()->assign(e->key);
  } else {
    *columns = request->experiment_keys();
  }
  // Each column's variant keys and payloads, once per response instead of once per unit.
  auto* variants = response->mutable_variants();
  variants->Reserve(columns->size());
  for (const std::string& key : *columns) {
    v1::ColumnVariants* column = variants->Add();
    if (const assignment::CompiledExperiment* e = snapshot->Find(key); e != nullptr) {
      for (const assignment::CompiledVariant& v : e->variants) {
        column->add_keys(v.key);
        column->add_payloads(v.payload);
      }
    }
  }

  const bool log_exposure = request->log_exposure();
  const int64_t now = log_exposure ? WallClockMicros() : 0;
  std::deque<std::string> storage;
  std::vector<experiments::ServedExposure> exposures;
  std::deque<Attributes> exposed_attributes;  // keep attributes alive for the sink

  thread_local std::vector<Assignment> results;
  auto* units = response->mutable_units();
  units->Reserve(num_units);
  for (int i = 0; i < num_units; ++i) {
    absl::StatusOr<Attributes> attributes =
        UnitAttributes(request->units(i), [i] { return absl::StrCat("units[", i, "]"); });
    if (!attributes.ok()) {
      response->Clear();
      return finish(attributes.status());
    }
    EvaluateUnit(*snapshot, *attributes, request->experiment_keys(), &results);
    auto* out = units->Add()->mutable_assignments();
    out->Reserve(static_cast<int>(results.size()));
    for (const Assignment& a : results) AssignmentToProto(a, AssignmentForm::kCompact, out->Add());
    if (log_exposure) {
      exposed_attributes.push_back(*std::move(attributes));
      CollectExposures(*snapshot, exposed_attributes.back(), results, now, &storage, &exposures);
    }
  }
  response->set_config_version(snapshot->version());
  if (log_exposure) {
    response->set_exposures_accepted(exposures.empty() ||
                                     std::atomic_load(&sink_)->Record(exposures).ok());
  }
  return finish(absl::OkStatus());
}

}  // namespace lift

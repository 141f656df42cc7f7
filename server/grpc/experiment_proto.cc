#include "server/grpc/experiment_proto.h"

namespace lift {
namespace {

void VariantsToProto(const std::vector<assignment::VariantConfig>& variants,
                     google::protobuf::RepeatedPtrField<v1::Variant>* proto) {
  proto->Reserve(static_cast<int>(variants.size()));
  for (const assignment::VariantConfig& v : variants) {
    v1::Variant* out = proto->Add();
    out->set_key(v.key);
    out->set_weight(v.weight);
    out->set_payload(v.payload);
  }
}

}  // namespace

experiments::Experiment ExperimentFromProto(const v1::Experiment& proto) {
  experiments::Experiment e;
  e.key = proto.key();
  e.name = proto.name();
  e.hypothesis = proto.hypothesis();
  e.owner = proto.owner();
  e.tags.assign(proto.tags().begin(), proto.tags().end());
  e.unit_type = proto.unit_type();
  for (const v1::Variant& v : proto.variants())
    e.variants.push_back({v.key(), v.weight(), v.payload()});
  e.coverage = proto.has_coverage() ? proto.coverage() : 1.0;
  e.seed = proto.seed();
  e.hash_version = proto.hash_version();
  e.condition = proto.condition();
  if (proto.has_layer()) {
    e.layer = proto.layer().layer();
    e.layer_start = proto.layer().start();
    e.layer_end = proto.layer().end();
  }
  const v1::ExperimentMetrics& metrics = proto.metrics();
  e.metrics.success.assign(metrics.success().begin(), metrics.success().end());
  e.metrics.secondary.assign(metrics.secondary().begin(), metrics.secondary().end());
  for (const v1::GuardrailMetric& g : metrics.guardrails()) {
    e.metrics.guardrails.push_back({g.metric_key(), g.non_inferiority_margin()});
  }
  return e;
}

void ExperimentToProto(const experiments::Experiment& e, v1::Experiment* proto) {
  proto->set_key(e.key);
  proto->set_name(e.name);
  proto->set_hypothesis(e.hypothesis);
  proto->set_owner(e.owner);
  for (const std::string& tag : e.tags) proto->add_tags(tag);
  proto->set_unit_type(e.unit_type);
  VariantsToProto(e.variants, proto->mutable_variants());
  proto->set_coverage(e.coverage);
  proto->set_seed(e.seed);
  proto->set_hash_version(e.hash_version);
  proto->set_condition(e.condition);
  if (!e.layer.empty()) {
    v1::LayerSlice* layer = proto->mutable_layer();
    layer->set_layer(e.layer);
    layer->set_start(e.layer_start);
    layer->set_end(e.layer_end);
  }
  v1::ExperimentMetrics* metrics = proto->mutable_metrics();
  for (const std::string& key : e.metrics.success) metrics->add_success(key);
  for (const std::string& key : e.metrics.secondary) metrics->add_secondary(key);
  for (const experiments::GuardrailMetric& g : e.metrics.guardrails) {
    v1::GuardrailMetric* out = metrics->add_guardrails();
    out->set_metric_key(g.metric_key);
    out->set_non_inferiority_margin(g.non_inferiority_margin);
  }
  proto->set_status(StatusToProto(e.status));
  proto->set_phase(e.phase);
  for (const experiments::Phase& p : e.phases) {
    v1::Phase* out = proto->add_phases();
    out->set_number(p.number);
    out->set_started_at_micros(p.started_at_micros);
    out->set_ended_at_micros(p.ended_at_micros);
    VariantsToProto(p.variants, out->mutable_variants());
    out->set_coverage(p.coverage);
    out->set_reason(p.reason);
  }
  proto->set_version(e.version);
  proto->set_winning_variant(e.winning_variant);
  proto->set_created_at_micros(e.created_at_micros);
  proto->set_created_by(e.created_by);
  proto->set_updated_at_micros(e.updated_at_micros);
  proto->set_updated_by(e.updated_by);
}

void OverrideToProto(const experiments::Override& o, v1::Override* proto) {
  proto->set_experiment_key(o.experiment_key);
  proto->set_unit_id(o.unit_id);
  proto->set_variant_key(o.variant_key);
  proto->set_created_at_micros(o.created_at_micros);
  proto->set_created_by(o.created_by);
}

experiments::Layer LayerFromProto(const v1::Layer& proto) {
  experiments::Layer layer;
  layer.key = proto.key();
  layer.name = proto.name();
  layer.description = proto.description();
  return layer;
}

void LayerToProto(const experiments::Layer& layer, v1::Layer* proto) {
  proto->set_key(layer.key);
  proto->set_name(layer.name);
  proto->set_description(layer.description);
  for (const experiments::LayerMember& member : layer.running) {
    v1::LayerMember* out = proto->add_running();
    out->set_experiment_key(member.experiment_key);
    out->set_start(member.start);
    out->set_end(member.end);
  }
  proto->set_created_at_micros(layer.created_at_micros);
  proto->set_created_by(layer.created_by);
}

experiments::Holdout HoldoutFromProto(const v1::Holdout& proto) {
  experiments::Holdout h;
  h.key = proto.key();
  h.name = proto.name();
  h.description = proto.description();
  h.share = proto.share();
  h.layer = proto.layer();
  return h;
}

void HoldoutToProto(const experiments::Holdout& h, v1::Holdout* proto) {
  proto->set_key(h.key);
  proto->set_name(h.name);
  proto->set_description(h.description);
  proto->set_share(h.share);
  proto->set_layer(h.layer);
  proto->set_created_at_micros(h.created_at_micros);
  proto->set_created_by(h.created_by);
}

std::optional<experiments::ExperimentStatus> StatusFromProto(v1::ExperimentStatus status) {
  switch (status) {
    case v1::EXPERIMENT_STATUS_DRAFT:
      return experiments::ExperimentStatus::kDraft;
    case v1::EXPERIMENT_STATUS_RUNNING:
      return experiments::ExperimentStatus::kRunning;
    case v1::EXPERIMENT_STATUS_STOPPED:
      return experiments::ExperimentStatus::kStopped;
    case v1::EXPERIMENT_STATUS_ARCHIVED:
      return experiments::ExperimentStatus::kArchived;
    default:
      return std::nullopt;
  }
}

v1::ExperimentStatus StatusToProto(experiments::ExperimentStatus status) {
  switch (status) {
    case experiments::ExperimentStatus::kDraft:
      return v1::EXPERIMENT_STATUS_DRAFT;
    case experiments::ExperimentStatus::kRunning:
      return v1::EXPERIMENT_STATUS_RUNNING;
    case experiments::ExperimentStatus::kStopped:
      return v1::EXPERIMENT_STATUS_STOPPED;
    case experiments::ExperimentStatus::kArchived:
      return v1::EXPERIMENT_STATUS_ARCHIVED;
  }
  return v1::EXPERIMENT_STATUS_UNSPECIFIED;
}

v1::AssignmentReason ReasonToProto(assignment::Reason reason) {
  switch (reason) {
    case assignment::Reason::kSplit:
      return v1::ASSIGNMENT_REASON_SPLIT;
    case assignment::Reason::kOverride:
      return v1::ASSIGNMENT_REASON_OVERRIDE;
    case assignment::Reason::kNotRunning:
      return v1::ASSIGNMENT_REASON_NOT_RUNNING;
    case assignment::Reason::kStoppedWinner:
      return v1::ASSIGNMENT_REASON_STOPPED_WINNER;
    case assignment::Reason::kTargetingMiss:
      return v1::ASSIGNMENT_REASON_TARGETING_MISS;
    case assignment::Reason::kNotInLayer:
      return v1::ASSIGNMENT_REASON_NOT_IN_LAYER;
    case assignment::Reason::kHoldout:
      return v1::ASSIGNMENT_REASON_HOLDOUT;
    case assignment::Reason::kCoverageMiss:
      return v1::ASSIGNMENT_REASON_COVERAGE_MISS;
    case assignment::Reason::kUnknownExperiment:
      return v1::ASSIGNMENT_REASON_UNKNOWN_EXPERIMENT;
    case assignment::Reason::kMissingUnitId:
      return v1::ASSIGNMENT_REASON_MISSING_UNIT_ID;
  }
  return v1::ASSIGNMENT_REASON_UNSPECIFIED;
}

void AssignmentToProto(const assignment::Assignment& a, AssignmentForm form,
                       v1::Assignment* proto) {
  if (form == AssignmentForm::kFull) {
    proto->set_experiment_key(a.experiment_key.data(), a.experiment_key.size());
  }
  if (form == AssignmentForm::kFull && a.variant_index >= 0) {
    proto->set_variant_key(a.variant_key.data(), a.variant_key.size());
    if (!a.payload.empty()) proto->set_payload(a.payload.data(), a.payload.size());
  }
  proto->set_variant_index(a.variant_index);
  proto->set_in_experiment(a.in_experiment);
  proto->set_reason(ReasonToProto(a.reason));
  if (a.bucket.has_value()) proto->set_bucket(*a.bucket);
  proto->set_phase(a.phase);
}

}  // namespace lift

// Conversions between lift.v1 experiment messages (experiments.proto, assignment.proto) and the
// domain types of server/experiments and server/assignment. Pure functions; the handlers in
// experiment_service.cc and assignment_service.cc are built from them.
//
// Requests convert only the fields documented as input; output-only fields are ignored.
// Thread safety: pure functions.
#ifndef LIFT_SERVER_GRPC_EXPERIMENT_PROTO_H_
#define LIFT_SERVER_GRPC_EXPERIMENT_PROTO_H_

#include <optional>

#include "lift/v1/assignment.pb.h"
#include "lift/v1/experiments.pb.h"
#include "server/assignment/engine.h"
#include "server/experiments/experiment.h"

namespace lift {

// Input fields of `proto` (coverage unset -> 1; layer unset -> none).
experiments::Experiment ExperimentFromProto(const v1::Experiment& proto);
// Every field.
void ExperimentToProto(const experiments::Experiment& experiment, v1::Experiment* proto);

void OverrideToProto(const experiments::Override& override_spec, v1::Override* proto);

experiments::Layer LayerFromProto(const v1::Layer& proto);
void LayerToProto(const experiments::Layer& layer, v1::Layer* proto);

experiments::Holdout HoldoutFromProto(const v1::Holdout& proto);
void HoldoutToProto(const experiments::Holdout& holdout, v1::Holdout* proto);

// UNSPECIFIED -> nullopt ("any").
std::optional<experiments::ExperimentStatus> StatusFromProto(v1::ExperimentStatus status);
v1::ExperimentStatus StatusToProto(experiments::ExperimentStatus status);

v1::AssignmentReason ReasonToProto(assignment::Reason reason);

// Fills `proto` from an engine result. kCompact leaves the string fields (experiment key,
// variant key, payload) empty, as AssignBatch responses do (assignment.proto).
enum class AssignmentForm { kFull, kCompact };
void AssignmentToProto(const assignment::Assignment& assignment, AssignmentForm form,
                       v1::Assignment* proto);

}  // namespace lift

#endif  // LIFT_SERVER_GRPC_EXPERIMENT_PROTO_H_

// Phase rules: which configuration changes of a running experiment start a new phase.
//
// A phase is a period in which every unit keeps its variant, so the readout can analyse the
// exposures of the phase as one randomised experiment. A change that moves units between variants,
// or drops units that were already exposed, would bias that analysis; it must start a new phase
// (the readout restarts) or be refused. Changes that only admit new units keep the phase.
//   New phase:  variants added, removed, renamed or reordered; any weight changed; seed, hash
//               version or hash attribute changed; coverage lowered; layer changed or its slice
//               no longer containing the old slice.
//   Same phase: coverage raised (bucket ranges only grow to the right, bucket_ranges.h), layer
//               slice widened around the old one, payloads, targeting condition, forced variants.
// Source: DESIGN.md "Assignment" and issue 4 ("Phases"); GrowthBook's guidance that re-weighting
// a running experiment needs a new phase to avoid a biased analysis.
//
// Thread safety: pure function.
#ifndef LIFT_SERVER_ASSIGNMENT_PHASE_RULES_H_
#define LIFT_SERVER_ASSIGNMENT_PHASE_RULES_H_

#include <string>

#include "server/assignment/experiment_config.h"

namespace lift::assignment {

struct PhaseDecision {
  bool new_phase = false;
  std::string reason;  // the first change that requires a new phase, e.g. "variants[1].weight
                       // changed from 0.5 to 0.7"; empty when the phase continues
};

// Classifies the change from `before` to `after` (two versions of the same experiment).
PhaseDecision ClassifyChange(const ExperimentConfig& before, const ExperimentConfig& after);

}  // namespace lift::assignment

#endif  // LIFT_SERVER_ASSIGNMENT_PHASE_RULES_H_

#!/usr/bin/env bash
# Regenerates the hand-written seeds of the *_rpc fuzz targets: each seed is one selector byte (the
# RPC, see the target's header comment) followed by a request message encoded from the text format
# below with `protoc --encode`. The output files are committed under tests/fuzz/corpus/; run this
# only to change the seeds (crash-* inputs found by fuzzing are kept as they are).
#   usage: tests/fuzz/make_rpc_seeds.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
corpus="$root/tests/fuzz/corpus"

# seed TARGET NAME SELECTOR MESSAGE  (text-format request on stdin)
seed() {
  local target=$1 name=$2 selector=$3 message=$4
  mkdir -p "$corpus/$target"
  {
    printf "\\x$(printf '%02x' "$selector")"
    protoc -I "$root/proto" --encode="lift.v1.$message" lift/v1/experiments.proto \
      lift/v1/assignment.proto lift/v1/events.proto lift/v1/metrics.proto \
      lift/v1/readouts.proto lift/v1/launches.proto lift/v1/auth.proto
  } > "$corpus/$target/$name"
}

# --- experiments_rpc: 0 Create 1 Update 2 Get 3 List 4 Start 5 Stop 6 Archive 7 SetOverride
#     8 ClearOverride 9 ListOverrides 10 CreateLayer 11 ListLayers 12 CreateHoldout 13 ListHoldouts
#     14 DeleteHoldout
seed experiments_rpc create 0 CreateExperimentRequest <<'PB'
experiment {
  key: "checkout-button" name: "Checkout button" hypothesis: "Green converts better" owner: "growth"
  tags: "q3" tags: "checkout" unit_type: "user_id"
  variants { key: "control" weight: 0.5 payload: "{\"color\":\"blue\"}" }
  variants { key: "green" weight: 0.5 payload: "{\"color\":\"green\"}" }
  coverage: 0.8 seed: "2026" hash_version: 2
  condition: "{\"country\": {\"$in\": [\"US\", \"CA\"]}, \"app\": {\"$vgte\": \"2.0.0\"}}"
  layer { layer: "checkout" start: 0 end: 0.5 }
  metrics { success: "conversion" secondary: "revenue"
            guardrails { metric_key: "latency_p95" non_inferiority_margin: 0.05 } }
}
PB
seed experiments_rpc create-invalid 0 CreateExperimentRequest <<'PB'
experiment { key: "Bad Key" variants { key: "a" weight: -1 } coverage: 2 hash_version: 3
             condition: "{\"x\": {\"$bogus\": 1}}" }
PB
seed experiments_rpc update-weights 1 UpdateExperimentRequest <<'PB'
experiment { key: "checkout" variants { key: "control" weight: 0.3 } variants { key: "green" weight: 0.7 }
             condition: "{\"country\": \"US\"}" }
expected_version: 3
update_mask { paths: "variants" paths: "condition" }
PB
seed experiments_rpc update-unknown-field 1 UpdateExperimentRequest <<'PB'
experiment { key: "checkout" name: "Renamed" }
expected_version: 3
update_mask { paths: "name" paths: "status" }
PB
seed experiments_rpc get 2 GetExperimentRequest <<'PB'
key: "checkout"
PB
seed experiments_rpc list 3 ListExperimentsRequest <<'PB'
status: EXPERIMENT_STATUS_RUNNING tag: "q3" owner: "growth" page { page_size: 10 page_token: "after:checkout" }
PB
seed experiments_rpc start 4 StartExperimentRequest <<'PB'
key: "checkout" expected_version: 3 started_at_micros: 1767225600000000
PB
seed experiments_rpc stop 5 StopExperimentRequest <<'PB'
key: "checkout" winning_variant: "green" expected_version: 4
PB
seed experiments_rpc archive 6 ArchiveExperimentRequest <<'PB'
key: "checkout" expected_version: 5
PB
seed experiments_rpc set-override 7 SetOverrideRequest <<'PB'
experiment_key: "checkout" unit_id: "qa-user" variant_key: "green"
PB
seed experiments_rpc clear-override 8 ClearOverrideRequest <<'PB'
experiment_key: "checkout" unit_id: "qa-user"
PB
seed experiments_rpc list-overrides 9 ListOverridesRequest <<'PB'
experiment_key: "checkout"
PB
seed experiments_rpc create-layer 10 CreateLayerRequest <<'PB'
layer { key: "homepage" name: "Homepage" description: "Mutually exclusive homepage tests" }
PB
seed experiments_rpc list-layers 11 ListLayersRequest < /dev/null
seed experiments_rpc create-holdout 12 CreateHoldoutRequest <<'PB'
holdout { key: "global-holdout" name: "Global" share: 0.05 layer: "homepage" }
PB
seed experiments_rpc list-holdouts 13 ListHoldoutsRequest < /dev/null
seed experiments_rpc delete-holdout 14 DeleteHoldoutRequest <<'PB'
key: "global-holdout"
PB

# --- assignment_rpc: bit 0 Assign / AssignBatch, bit 1 no snapshot loaded
seed assignment_rpc assign 0 AssignRequest <<'PB'
unit { attributes { key: "id" value: "u1" } attributes { key: "country" value: "US" }
       attributes { key: "age" value: "31" } }
experiment_keys: "checkout" experiment_keys: "pricing" experiment_keys: "nope"
log_exposure: true
PB
seed assignment_rpc assign-json-all 0 AssignRequest <<'PB'
unit { attributes_json: "{\"id\": \"qa-user\", \"device_id\": 17, \"country\": \"CA\", \"age\": 40, \"app_version\": \"2.3.0\", \"tags\": [\"beta\"], \"address\": {\"city\": \"Oslo\"}, \"email\": \"a@example.com\"}" }
log_exposure: true
PB
seed assignment_rpc assign-invalid 0 AssignRequest <<'PB'
unit { attributes { key: "id" value: "u1" } attributes_json: "[1]" }
PB
seed assignment_rpc batch 1 AssignBatchRequest <<'PB'
units { attributes { key: "id" value: "u1" } attributes { key: "country" value: "US" } }
units { attributes_json: "{\"id\": 2, \"device_id\": \"d2\", \"plan\": \"pro\"}" }
units { }
experiment_keys: "checkout" experiment_keys: "homepage-hero" experiment_keys: "homepage-cta"
log_exposure: true
PB
seed assignment_rpc not-loaded 2 AssignRequest <<'PB'
unit { attributes { key: "id" value: "u1" } }
PB

# --- events_rpc: even LogExposures, odd LogEvents
seed events_rpc exposures 0 LogExposuresRequest <<'PB'
exposures { event_id: "e1" experiment: "checkout" variant: "green" unit_id: "u1"
            timestamp_micros: 1772300000000000 attributes { key: "country" value: "US" } }
exposures { event_id: "e2" experiment: "nope" variant: "x" unit_id: "u2" timestamp_micros: 1 }
exposures { experiment: "checkout" variant: "control" unit_id: "" timestamp_micros: 1772300000000000 }
PB
seed events_rpc events 1 LogEventsRequest <<'PB'
events { event_id: "v1" unit_id: "u1" event: "purchase" value: 19.99 timestamp_micros: 1772300000000000
         properties { key: "plan" value: "pro" } }
events { unit_id: "u2" event: "signup" timestamp_micros: 1772300000000000 }
events { event_id: "v3" unit_id: "u3" event: "" value: nan timestamp_micros: 99999999999999999 }
PB

# --- metrics_rpc: 0 ApplyMetrics 1 GetMetric 2 ListMetrics 3 ListMetricVersions
seed metrics_rpc apply 0 ApplyMetricsRequest <<'PB'
metrics { key: "revenue" name: "Revenue" kind: METRIC_KIND_MEAN
          numerator { event: "purchase" aggregation: AGGREGATION_SUM
                      filters { property: "plan" operator: OPERATOR_IN values: "pro" values: "team" } }
          window_duration_seconds: 604800 capping: CAPPING_TYPE_PERCENTILE capping_value: 0.99
          direction: METRIC_DIRECTION_INCREASE cuped_pre_period_days: 14 mde: 0.02
          tier: METRIC_TIER_KEY_RESULT target: 12.5 target_date: "2026-12-31" }
metrics { key: "error_rate" kind: METRIC_KIND_RATIO
          numerator { event: "error" aggregation: AGGREGATION_COUNT }
          denominator { event: "request" aggregation: AGGREGATION_COUNT }
          direction: METRIC_DIRECTION_DECREASE tier: METRIC_TIER_GUARDRAIL
          warning_threshold: 0.02 alert_threshold: 0.05 }
dry_run: true
PB
seed metrics_rpc apply-invalid 0 ApplyMetricsRequest <<'PB'
metrics { key: "x" kind: METRIC_KIND_PROPORTION numerator { event: "" filters { property: "p" operator: OPERATOR_EQUAL } }
          capping: CAPPING_TYPE_ABSOLUTE capping_value: -1 target_date: "2026-02-30" }
PB
seed metrics_rpc get 1 GetMetricRequest <<'PB'
key: "revenue" version: 2
PB
seed metrics_rpc list 2 ListMetricsRequest <<'PB'
tier: METRIC_TIER_GUARDRAIL
PB
seed metrics_rpc versions 3 ListMetricVersionsRequest <<'PB'
key: "revenue"
PB

# --- readouts_rpc: 0 GetReadout 1 GetWeeklyReview 2 AnalyzeLaunch 3 CreateLaunch 4 ListLaunches
seed readouts_rpc readout 0 GetReadoutRequest <<'PB'
experiment_key: "checkout" phase: 1 alpha: 0.05 as_of_micros: 1772300000000000 segment_by: "country"
include_timeseries: true
PB
seed readouts_rpc readout-invalid 0 GetReadoutRequest <<'PB'
experiment_key: "checkout" alpha: 1.5 phase: -1 segment_by: "a\tb"
PB
seed readouts_rpc weekly-review 1 GetWeeklyReviewRequest <<'PB'
week: "2026-W09" alpha: 0.05 anomaly_sigmas: 3 cohort_weeks: 8 trend_weeks: 12 tracking_gap_ratio: 0.3
PB
seed readouts_rpc weekly-review-invalid 1 GetWeeklyReviewRequest <<'PB'
week: "2026-W54" trend_weeks: 1
PB
seed readouts_rpc analyze-definition 2 AnalyzeLaunchRequest <<'PB'
definition { name: "New onboarding" metric_keys: "activation" metric_keys: "revenue"
             treated: "exposure.country in (US, CA) and plan = pro" control: "exposure.country = DE"
             launch_at_micros: 1772300000000000 pre_days: 14 post_days: 14 period: LAUNCH_PERIOD_WEEK }
metric_keys: "revenue" alpha: 0.1
PB
seed readouts_rpc analyze-key 2 AnalyzeLaunchRequest <<'PB'
launch_key: "onboarding-2026"
PB
seed readouts_rpc create-launch 3 CreateLaunchRequest <<'PB'
launch { key: "onboarding-2026" name: "Onboarding" owner: "growth" metric_keys: "activation"
         treated: "platform = ios" control: "platform != ios" launch_at_micros: 1772300000000000
         pre_days: 28 post_days: 14 period: LAUNCH_PERIOD_DAY }
PB
seed readouts_rpc list-launches 4 ListLaunchesRequest <<'PB'
launched_from_micros: 1767225600000000 launched_to_micros: 1772300000000000
PB

# --- auth_rpc: 0 CreateKey 1 ListKeys 2 RevokeKey 3 ListAuditEntries 4 interceptor decision
seed auth_rpc create-key 0 CreateKeyRequest <<'PB'
name: "ci-ingest" scopes: "ingest" scopes: "read"
PB
seed auth_rpc create-key-invalid 0 CreateKeyRequest <<'PB'
name: "-Bad Name" scopes: "root"
PB
seed auth_rpc list-keys 1 ListKeysRequest <<'PB'
include_revoked: true
PB
seed auth_rpc revoke-key 2 RevokeKeyRequest <<'PB'
name: "ci-ingest"
PB
seed auth_rpc audit 3 ListAuditEntriesRequest <<'PB'
time_range { start_micros: 1767225600000000 end_micros: 1772300000000000 } actor: "admin"
entity_type: "experiment" entity_key: "checkout" page { page_size: 20 page_token: "bogus-token" }
PB
printf '\x04/lift.v1.ReadoutService/GetReadout\nBearer lift_0123abcd_00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff' \
  > "$corpus/auth_rpc/decision-allowed"
printf '\x04/lift.v1.ExperimentService/CreateExperiment\nbearer  lift_0123abcd_00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff ' \
  > "$corpus/auth_rpc/decision-wrong-scope"
printf '\x04/lift.v1.MetricService/ApplyMetrics\nBearer lift_deadbeef_ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100' \
  > "$corpus/auth_rpc/decision-revoked"
printf '\x04/lift.v1.AssignmentService/Assign\nBearer lift_0badf00d_00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff' \
  > "$corpus/auth_rpc/decision-database-down"
printf '\x04/lift.v1.SystemService/Ping' > "$corpus/auth_rpc/decision-public-no-key"
printf '\x04/lift.v1.Unknown/Method\nBasic dXNlcjpwYXNz' > "$corpus/auth_rpc/decision-undeclared"

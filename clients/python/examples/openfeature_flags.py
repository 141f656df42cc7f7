#!/usr/bin/env python3
"""OpenFeature-shaped feature flags on top of Lift's Assign.

A feature-flag service asks "what value does flag F have for this user?" and wants the answer as
OpenFeature *resolution details*: value, variant, reason, error code and flag metadata. Lift
answers with an Assignment; this file shows the mapping (documented in assignment.proto) in a
tiny provider-like class. It has no OpenFeature dependency: the method names and result fields
follow the OpenFeature provider interface so a real provider is a thin adapter around it.

    flag key      = experiment key
    targeting key = unit id (sent as the experiment's unit_type attribute, "id" by default)
    value         = the served variant's JSON payload; the caller's default when no variant is
                    served (or the variant has no payload, or its type does not match)
    variant       = the variant key
    reason        = SPLIT -> "SPLIT"; OVERRIDE -> "TARGETING_MATCH"; STOPPED_WINNER -> "STATIC";
                    NOT_RUNNING -> "DISABLED"; TARGETING_MISS, NOT_IN_LAYER, HOLDOUT,
                    COVERAGE_MISS -> "DEFAULT"; UNKNOWN_EXPERIMENT -> "ERROR" (FLAG_NOT_FOUND);
                    MISSING_UNIT_ID -> "ERROR" (TARGETING_KEY_MISSING)
    flag metadata = experiment_key, variant_index, in_experiment, bucket, phase, lift_reason

Run against a liftd (creates and starts the experiment `new_checkout_flow` if needed):
    PYTHONPATH=clients/python /usr/bin/python3 clients/python/examples/openfeature_flags.py \
        --server 127.0.0.1:50051
"""

import argparse
import dataclasses
import os
import sys
from typing import Any, Dict, Mapping, Optional

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import lift  # noqa: E402
from lift.v1 import experiments_pb2  # noqa: E402

# Lift reason -> (OpenFeature reason, OpenFeature error code or None).
REASONS = {
    "SPLIT": ("SPLIT", None),
    "OVERRIDE": ("TARGETING_MATCH", None),
    "STOPPED_WINNER": ("STATIC", None),
    "NOT_RUNNING": ("DISABLED", None),
    "TARGETING_MISS": ("DEFAULT", None),
    "NOT_IN_LAYER": ("DEFAULT", None),
    "HOLDOUT": ("DEFAULT", None),
    "COVERAGE_MISS": ("DEFAULT", None),
    "UNKNOWN_EXPERIMENT": ("ERROR", "FLAG_NOT_FOUND"),
    "MISSING_UNIT_ID": ("ERROR", "TARGETING_KEY_MISSING"),
}


@dataclasses.dataclass
class EvaluationContext:
    """OpenFeature's evaluation context: the targeting key (unit id) and attributes."""

    targeting_key: Optional[str] = None
    attributes: Mapping[str, Any] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class FlagResolution:
    """OpenFeature's FlagResolutionDetails."""

    value: Any
    variant: Optional[str] = None
    reason: str = "UNKNOWN"
    error_code: Optional[str] = None
    error_message: Optional[str] = None
    flag_metadata: Dict[str, Any] = dataclasses.field(default_factory=dict)


class LiftProvider:
    """Resolves flags with Lift's Assign. `log_exposure=True` has liftd record an exposure for
    every evaluation that puts the unit in the experiment (what the readout analyses)."""

    name = "lift"

    def __init__(self, client: lift.Client, unit_type: str = "id", log_exposure: bool = True):
        self.client = client
        self.unit_type = unit_type
        self.log_exposure = log_exposure

    def resolve_boolean_details(self, flag_key, default_value: bool, context=None):
        return self._resolve(flag_key, default_value, context, (bool,))

    def resolve_string_details(self, flag_key, default_value: str, context=None):
        return self._resolve(flag_key, default_value, context, (str,))

    def resolve_integer_details(self, flag_key, default_value: int, context=None):
        return self._resolve(flag_key, default_value, context, (int,))

    def resolve_float_details(self, flag_key, default_value: float, context=None):
        return self._resolve(flag_key, default_value, context, (float, int))

    def resolve_object_details(self, flag_key, default_value, context=None):
        return self._resolve(flag_key, default_value, context, (dict, list))

    def _resolve(self, flag_key, default_value, context, types) -> FlagResolution:
        context = context or EvaluationContext()
        try:
            answer = self.client.assign(context.targeting_key, flag_key,
                                        attributes=context.attributes, unit_type=self.unit_type,
                                        log_exposure=self.log_exposure)[0]
        except lift.UnavailableError as error:
            return FlagResolution(default_value, reason="ERROR", error_code="PROVIDER_NOT_READY",
                                  error_message=error.message)
        except lift.LiftError as error:
            return FlagResolution(default_value, reason="ERROR", error_code="GENERAL",
                                  error_message=f"{error.code_name}: {error.message}")
        reason, error_code = REASONS.get(answer.reason, ("UNKNOWN", None))
        metadata = {
            "experiment_key": answer.experiment,
            "variant_index": answer.variant_index,
            "in_experiment": answer.in_experiment,
            "phase": answer.phase,
            "lift_reason": answer.reason,
        }
        if answer.bucket is not None:
            metadata["bucket"] = answer.bucket
        if error_code is not None:
            return FlagResolution(default_value, reason=reason, error_code=error_code,
                                  error_message=f"lift answered {answer.reason}",
                                  flag_metadata=metadata)
        if not answer.served or answer.payload is None:
            return FlagResolution(default_value, variant=answer.variant, reason=reason,
                                  flag_metadata=metadata)
        value = answer.payload
        # bool is an int in Python: do not serve `true` to an integer flag or 1 to a boolean one.
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            return FlagResolution(default_value, variant=answer.variant, reason="ERROR",
                                  error_code="TYPE_MISMATCH",
                                  error_message=f"payload {value!r} is not a {types[0].__name__}",
                                  flag_metadata=metadata)
        return FlagResolution(value, variant=answer.variant, reason=reason, flag_metadata=metadata)


FLAG = "new_checkout_flow"


def ensure_flag(client: lift.Client) -> None:
    """Creates and starts the demo flag: 50/50 off/on with boolean payloads, Germany only."""
    try:
        client.create_experiment(
            FLAG, [{"key": "off", "payload": False}, {"key": "on", "payload": True}],
            name="New checkout flow", condition={"country": "DE"})
    except lift.AlreadyExistsError:
        pass
    if client.get_experiment(FLAG).status != experiments_pb2.EXPERIMENT_STATUS_RUNNING:
        client.start_experiment(FLAG)
    client.wait_until_assignable(FLAG)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="OpenFeature-shaped flags on Lift")
    parser.add_argument("--server", default=os.environ.get("LIFT_SERVER", "127.0.0.1:50051"))
    parser.add_argument("--api-key", default=os.environ.get("LIFT_API_KEY"))
    args = parser.parse_args(argv)
    with lift.Client(args.server, api_key=args.api_key) as client:
        ensure_flag(client)
        provider = LiftProvider(client)
        cases = [
            ("user-1 in DE", FLAG, EvaluationContext("user-1", {"country": "DE"})),
            ("user-2 in DE", FLAG, EvaluationContext("user-2", {"country": "DE"})),
            ("user-3 in US", FLAG, EvaluationContext("user-3", {"country": "US"})),
            ("no targeting key", FLAG, EvaluationContext(None, {"country": "DE"})),
            ("unknown flag", "no_such_flag", EvaluationContext("user-1")),
        ]
        for label, flag, context in cases:
            details = provider.resolve_boolean_details(flag, False, context)
            print(f"{label:18} value={details.value!s:5} variant={details.variant!s:4} "
                  f"reason={details.reason:15} error={details.error_code} "
                  f"metadata={details.flag_metadata}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""lift.Client: a thin, idiomatic wrapper over liftd's lift.v1 gRPC API.

Contract:
- Every method maps to one RPC (log_* may split more than 10,000 rows into several calls) and
  returns plain dataclasses (assignment, ingest) or the generated protobuf message (experiments,
  readouts; pass `as_dict=True` for a dict).
- A failed RPC raises a `lift.LiftError` subclass carrying the gRPC code and the server's message.
  Local validation errors (a row without a timestamp, a float timestamp) raise ValueError/TypeError
  before anything is sent.
- `api_key` is sent as `authorization: Bearer <key>` metadata on every call.
- Idempotent RPCs (Assign*, Log*, Ping, GetReadout) are retried by gRPC itself on UNAVAILABLE
  (and ingest also on RESOURCE_EXHAUSTED) with exponential back-off; configuration writes are not.
- Timestamps: `datetime` (naive ones are taken as UTC, like protobuf's Timestamp.FromDatetime) or
  int Unix epoch microseconds.

Thread safety: a Client may be shared by threads (the underlying grpc.Channel is thread-safe).
Close it (or use it as a context manager) to release the channel.
"""

import dataclasses
import datetime as _dt
import hashlib
import json
import time
import uuid
from collections.abc import Mapping
from typing import Any, Iterable, List, Optional, Sequence, Union

import grpc
from google.protobuf import field_mask_pb2, json_format

from lift.errors import from_rpc_error
from lift.v1 import (
    assignment_pb2,
    common_pb2,
    assignment_pb2_grpc,
    events_pb2,
    events_pb2_grpc,
    experiments_pb2,
    experiments_pb2_grpc,
    metrics_pb2,
    metrics_pb2_grpc,
    readouts_pb2,
    readouts_pb2_grpc,
    system_pb2,
    system_pb2_grpc,
)

# Per RPC, at most this many rows (events.proto, assignment.proto).
MAX_ROWS_PER_CALL = 10_000

_RETRY_POLICY = {
    "maxAttempts": 4,
    "initialBackoff": "0.1s",
    "maxBackoff": "2s",
    "backoffMultiplier": 2,
}
# gRPC service config: retry the idempotent services (assignment is pure; ingest is idempotent by
# event_id; ping and readouts only read). Experiment/metric writes are never retried silently.
_SERVICE_CONFIG = json.dumps({
    "methodConfig": [
        {
            "name": [{"service": "lift.v1.AssignmentService"}, {"service": "lift.v1.SystemService"},
                     {"service": "lift.v1.ReadoutService"}],
            "retryPolicy": dict(_RETRY_POLICY, retryableStatusCodes=["UNAVAILABLE"]),
        },
        {
            "name": [{"service": "lift.v1.EventService"}],
            "retryPolicy": dict(_RETRY_POLICY,
                                retryableStatusCodes=["UNAVAILABLE", "RESOURCE_EXHAUSTED"]),
        },
    ]
})

_REASON_PREFIX = "ASSIGNMENT_REASON_"


def reason_name(reason: int) -> str:
    """The AssignmentReason's short name, e.g. 1 -> "SPLIT"."""
    return assignment_pb2.AssignmentReason.Name(reason)[len(_REASON_PREFIX):]


# --------------------------------------------------------------------------------------------
# Results


@dataclasses.dataclass(frozen=True)
class Assignment:
    """One experiment's answer for one unit.

    variant is None (and variant_index -1) when no variant is served; payload is the variant's
    JSON payload parsed (None when there is none); bucket is None when evaluation stopped before
    hashing; reason is the AssignmentReason name ("SPLIT", "OVERRIDE", "NOT_RUNNING", ...).
    """

    experiment: str
    variant: Optional[str]
    variant_index: int
    in_experiment: bool
    reason: str
    bucket: Optional[float]
    phase: int
    payload: Any = None

    @property
    def served(self) -> bool:
        """True when a variant is served (SPLIT, OVERRIDE or STOPPED_WINNER)."""
        return self.variant_index >= 0


@dataclasses.dataclass(frozen=True)
class AssignResult:
    """The answers for one unit, in request order; index by position or experiment key."""

    assignments: List[Assignment]
    config_version: int
    exposures_accepted: bool

    def __iter__(self):
        return iter(self.assignments)

    def __len__(self):
        return len(self.assignments)

    def __getitem__(self, key: Union[int, str]) -> Assignment:
        if isinstance(key, str):
            for assignment in self.assignments:
                if assignment.experiment == key:
                    return assignment
            raise KeyError(key)
        return self.assignments[key]

    def get(self, key: str, default=None) -> Optional[Assignment]:
        """The assignment for experiment `key`, or `default`."""
        try:
            return self[key]
        except KeyError:
            return default


@dataclasses.dataclass(frozen=True)
class AssignBatchResult:
    """AssignBatch answers: one AssignResult per unit, in request order."""

    experiments: List[str]
    results: List[AssignResult]
    config_version: int
    exposures_accepted: bool

    def __iter__(self):
        return iter(self.results)

    def __len__(self):
        return len(self.results)

    def __getitem__(self, index: int) -> AssignResult:
        return self.results[index]


@dataclasses.dataclass(frozen=True)
class PingResult:
    server_time_micros: int
    round_trip_seconds: float


@dataclasses.dataclass(frozen=True)
class RejectedRow:
    """A row the server refused: `index` is its position in the rows passed to log_*."""

    index: int
    field: str
    reason: str


@dataclasses.dataclass(frozen=True)
class LogResult:
    """Outcome of log_exposures / log_events: rows stored, retries recognised, rows refused."""

    accepted: int
    duplicates: int
    rejected: List[RejectedRow]
    rejected_count: int


# --------------------------------------------------------------------------------------------
# Rows


@dataclasses.dataclass
class Exposure:
    """A unit saw a variant. event_id may be omitted: it is then derived from the row's content,
    so sending the same row again is still recognised as a duplicate."""

    experiment: str
    variant: str
    unit_id: str
    timestamp: Union[_dt.datetime, int]
    attributes: Mapping = dataclasses.field(default_factory=dict)
    event_id: Optional[str] = None


@dataclasses.dataclass
class MetricEvent:
    """Something a unit did (a purchase, a page view). value None means 1 on the server."""

    unit_id: str
    event: str
    timestamp: Union[_dt.datetime, int]
    value: Optional[float] = None
    properties: Mapping = dataclasses.field(default_factory=dict)
    event_id: Optional[str] = None


def to_micros(timestamp: Union[_dt.datetime, int]) -> int:
    """Unix epoch microseconds of a datetime (naive = UTC) or an int (already micros).

    Raises TypeError for anything else (floats are refused: seconds or micros would be a guess).
    """
    if isinstance(timestamp, _dt.datetime):
        if timestamp.tzinfo is None:
            timestamp = timestamp.replace(tzinfo=_dt.timezone.utc)
        delta = timestamp - _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)
        return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    if isinstance(timestamp, int) and not isinstance(timestamp, bool):
        return timestamp
    raise TypeError(
        f"timestamp must be a datetime or int epoch microseconds, got {type(timestamp).__name__}"
        " (for time.time() seconds use int(t * 1_000_000))")


def _row_dict(row, kind) -> dict:
    if dataclasses.is_dataclass(row) and not isinstance(row, type):
        return dataclasses.asdict(row)
    if isinstance(row, Mapping):
        return dict(row)
    raise TypeError(
        f"{kind} rows must be dicts or lift.{kind} dataclasses, got {type(row).__name__}")


def _timestamp_of(row: dict, index: int) -> int:
    if row.get("timestamp") is not None:
        return to_micros(row["timestamp"])
    if row.get("timestamp_micros") is not None:
        return to_micros(row["timestamp_micros"])
    raise ValueError(f"rows[{index}]: timestamp is required (datetime or int epoch micros)")


def _derived_event_id(kind: str, content: dict) -> str:
    """A stable id from the row's content, so resending the same row is a duplicate."""
    canonical = json.dumps([kind, content], sort_keys=True, separators=(",", ":"), default=str)
    return str(uuid.UUID(bytes=hashlib.sha256(canonical.encode()).digest()[:16], version=5))


def _string_map(values: Optional[Mapping]) -> dict:
    return {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in (values or {}).items()}


def _exposure_proto(row, index: int) -> events_pb2.Exposure:
    if isinstance(row, events_pb2.Exposure):
        return row
    data = _row_dict(row, "Exposure")
    content = {
        "experiment": data.get("experiment", ""),
        "variant": data.get("variant", ""),
        "unit_id": str(data.get("unit_id", "")),
        "timestamp_micros": _timestamp_of(data, index),
        "attributes": _string_map(data.get("attributes")),
    }
    event_id = data.get("event_id") or _derived_event_id("exposure", content)
    return events_pb2.Exposure(event_id=event_id, **content)


def _event_proto(row, index: int) -> events_pb2.MetricEvent:
    if isinstance(row, events_pb2.MetricEvent):
        return row
    data = _row_dict(row, "MetricEvent")
    content = {
        "unit_id": str(data.get("unit_id", "")),
        "event": data.get("event", ""),
        "timestamp_micros": _timestamp_of(data, index),
        "properties": _string_map(data.get("properties")),
    }
    if data.get("value") is not None:
        content["value"] = float(data["value"])
    event_id = data.get("event_id") or _derived_event_id("event", content)
    return events_pb2.MetricEvent(event_id=event_id, **content)


def _unit_proto(unit_id, attributes: Optional[Mapping], unit_type: str) -> assignment_pb2.Unit:
    attrs = dict(attributes or {})
    if unit_id is not None:
        attrs[unit_type] = unit_id
    if all(isinstance(v, str) for v in attrs.values()):
        return assignment_pb2.Unit(attributes=attrs)
    return assignment_pb2.Unit(attributes_json=json.dumps(attrs))


def _parse_payload(text: str) -> Any:
    return json.loads(text) if text else None


def _assignment(proto, experiment: str = None, variant: str = None, payload: str = None):
    index = proto.variant_index
    variant_key = proto.variant_key if variant is None else variant
    return Assignment(
        experiment=proto.experiment_key if experiment is None else experiment,
        variant=variant_key if index >= 0 else None,
        variant_index=index,
        in_experiment=proto.in_experiment,
        reason=reason_name(proto.reason),
        bucket=proto.bucket if proto.HasField("bucket") else None,
        phase=proto.phase,
        payload=_parse_payload(proto.payload if payload is None else payload),
    )


def _keys(experiments) -> List[str]:
    if experiments is None:
        return []
    if isinstance(experiments, str):
        return [experiments]
    return list(experiments)


def _variant_dict(variant) -> dict:
    if isinstance(variant, str):
        return {"key": variant}
    if isinstance(variant, experiments_pb2.Variant):
        return json_format.MessageToDict(variant, preserving_proto_field_name=True)
    data = dict(variant)
    if "payload_json" in data:  # already JSON text
        data["payload"] = data.pop("payload_json")
    elif data.get("payload") is not None:  # a JSON value (a str is a JSON string)
        data["payload"] = json.dumps(data["payload"])
    else:
        data.pop("payload", None)
    return data


# --------------------------------------------------------------------------------------------
# Client


class _Stubs:
    """The generated stubs on one channel, for RPCs the wrapper does not cover."""

    def __init__(self, channel):
        self.system = system_pb2_grpc.SystemServiceStub(channel)
        self.experiments = experiments_pb2_grpc.ExperimentServiceStub(channel)
        self.assignment = assignment_pb2_grpc.AssignmentServiceStub(channel)
        self.events = events_pb2_grpc.EventServiceStub(channel)
        self.metrics = metrics_pb2_grpc.MetricServiceStub(channel)
        self.readouts = readouts_pb2_grpc.ReadoutServiceStub(channel)


class Client:
    """A connection to one liftd. `server` is "host:port"; `timeout` (seconds) applies per call.

    Pass `credentials` (grpc.ssl_channel_credentials(...)) for TLS. The raw stubs are available
    as `client.stubs.<service>` for RPCs not wrapped here (call them with `client.metadata`).
    """

    def __init__(self, server: str = "127.0.0.1:50051", api_key: Optional[str] = None,
                 timeout: float = 10.0, credentials: Optional[grpc.ChannelCredentials] = None,
                 retries: bool = True):
        self.server = server
        self.timeout = timeout
        self.metadata = (("authorization", f"Bearer {api_key}"),) if api_key else ()
        options = [("grpc.enable_retries", 1 if retries else 0)]
        if retries:
            options.append(("grpc.service_config", _SERVICE_CONFIG))
        if credentials is not None:
            self._channel = grpc.secure_channel(server, credentials, options=options)
        else:
            self._channel = grpc.insecure_channel(server, options=options)
        self.stubs = _Stubs(self._channel)

    # -- lifecycle -----------------------------------------------------------------------------

    def close(self) -> None:
        """Closes the channel; the client is unusable afterwards."""
        self._channel.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def _call(self, method, request, timeout=None, name=""):
        try:
            return method(request, timeout=self.timeout if timeout is None else timeout,
                          metadata=self.metadata)
        except grpc.RpcError as error:
            raise from_rpc_error(error, name) from None

    # -- system --------------------------------------------------------------------------------

    def ping(self, timeout: Optional[float] = None) -> PingResult:
        """Round trip to liftd. Raises UnavailableError when it cannot be reached."""
        start = time.perf_counter()
        response = self._call(self.stubs.system.Ping, system_pb2.PingRequest(), timeout, "Ping")
        return PingResult(response.server_time_micros, time.perf_counter() - start)

    def server_info(self, as_dict: bool = False, timeout: Optional[float] = None):
        """GetServerInfo: version, start time, database mode, schema version."""
        response = self._call(self.stubs.system.GetServerInfo, system_pb2.GetServerInfoRequest(),
                              timeout, "GetServerInfo")
        return _maybe_dict(response, as_dict)

    def wait_until_ready(self, timeout: float = 30.0) -> PingResult:
        """Pings until liftd answers or `timeout` seconds pass (then raises the last error)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                return self.ping(timeout=min(2.0, max(0.1, deadline - time.monotonic())))
            except Exception:  # noqa: BLE001 - re-raised below once the deadline passes
                if time.monotonic() >= deadline:
                    raise
                time.sleep(0.1)

    # -- assignment ----------------------------------------------------------------------------

    def assign(self, unit_id: Optional[str], experiments: Union[None, str, Sequence[str]] = None,
               attributes: Optional[Mapping] = None, unit_type: str = "id",
               log_exposure: bool = False, timeout: Optional[float] = None) -> AssignResult:
        """Assigns one unit to `experiments` (a key, a list of keys, or None for every running one).

        The unit id is sent as attribute `unit_type`; `attributes` add targeting attributes
        (all-string attributes go as a string map, otherwise as JSON for typed values).
        Unknown experiments are not errors: they answer reason "UNKNOWN_EXPERIMENT".
        """
        request = assignment_pb2.AssignRequest(
            unit=_unit_proto(unit_id, attributes, unit_type), experiment_keys=_keys(experiments),
            log_exposure=log_exposure)
        response = self._call(self.stubs.assignment.Assign, request, timeout, "Assign")
        return AssignResult([_assignment(a) for a in response.assignments],
                            response.config_version, response.exposures_accepted)

    def assign_batch(self, units: Iterable[Union[str, Mapping]],
                     experiments: Union[None, str, Sequence[str]] = None, unit_type: str = "id",
                     log_exposure: bool = False,
                     timeout: Optional[float] = None) -> AssignBatchResult:
        """Assigns many units (at most 10,000) in one round trip against one snapshot.

        Each unit is a unit id (sent as attribute `unit_type`) or a mapping of attributes.
        """
        protos = [_unit_proto(None, u, unit_type) if isinstance(u, Mapping)
                  else _unit_proto(u, None, unit_type) for u in units]
        request = assignment_pb2.AssignBatchRequest(
            units=protos, experiment_keys=_keys(experiments), log_exposure=log_exposure)
        response = self._call(self.stubs.assignment.AssignBatch, request, timeout, "AssignBatch")
        keys = list(response.experiment_keys)
        results = []
        for unit in response.units:
            row = []
            for column, proto in enumerate(unit.assignments):
                variants = response.variants[column] if column < len(response.variants) else None
                index = proto.variant_index
                has = variants is not None and 0 <= index < len(variants.keys)
                row.append(_assignment(
                    proto, experiment=keys[column],
                    variant=variants.keys[index] if has else "",
                    payload=variants.payloads[index] if has and index < len(variants.payloads)
                    else ""))
            results.append(AssignResult(row, response.config_version, response.exposures_accepted))
        return AssignBatchResult(keys, results, response.config_version,
                                 response.exposures_accepted)

    def wait_until_assignable(self, experiment: str, timeout: float = 10.0) -> Assignment:
        """Waits until this server's configuration snapshot serves `experiment` (it follows
        changes within about a second). Returns the probe's assignment; raises TimeoutError."""
        deadline = time.monotonic() + timeout
        while True:
            answer = self.assign("__lift_probe__", experiment)[0]
            if answer.reason not in ("UNKNOWN_EXPERIMENT", "NOT_RUNNING"):
                return answer
            if time.monotonic() >= deadline:
                raise TimeoutError(f"{experiment} still answers {answer.reason} after {timeout} s")
            time.sleep(0.05)

    # -- ingest --------------------------------------------------------------------------------

    def log_exposures(self, rows: Iterable, timeout: Optional[float] = None) -> LogResult:
        """Stores exposures (dicts, lift.Exposure or events_pb2.Exposure). Rows are validated one
        by one; refused rows come back in `rejected` with their position in `rows`. Sends
        batches of at most 10,000 rows; OK means every accepted row is committed."""
        protos = [_exposure_proto(row, i) for i, row in enumerate(rows)]
        return self._log(protos, lambda chunk: events_pb2.LogExposuresRequest(exposures=chunk),
                         self.stubs.events.LogExposures, timeout, "LogExposures")

    def log_events(self, rows: Iterable, timeout: Optional[float] = None) -> LogResult:
        """Stores metric events (dicts, lift.MetricEvent or events_pb2.MetricEvent); as
        log_exposures."""
        protos = [_event_proto(row, i) for i, row in enumerate(rows)]
        return self._log(protos, lambda chunk: events_pb2.LogEventsRequest(events=chunk),
                         self.stubs.events.LogEvents, timeout, "LogEvents")

    def _log(self, protos, make_request, method, timeout, name) -> LogResult:
        accepted = duplicates = rejected_count = 0
        rejected = []
        for offset in range(0, len(protos), MAX_ROWS_PER_CALL):
            chunk = protos[offset:offset + MAX_ROWS_PER_CALL]
            response = self._call(method, make_request(chunk), timeout, name)
            accepted += response.accepted
            duplicates += response.duplicates
            rejected_count += response.rejected_count
            rejected.extend(RejectedRow(offset + r.index, r.field, r.reason)
                            for r in response.rejected)
        return LogResult(accepted, duplicates, rejected, rejected_count)

    # -- experiments ---------------------------------------------------------------------------

    def create_experiment(self, key: str, variants: Sequence = ("control", "treatment"),
                          as_dict: bool = False, timeout: Optional[float] = None, **fields):
        """Creates a DRAFT experiment. `variants` are keys, dicts {key, weight, payload}
        (payload: any JSON value, a str becomes a JSON string; or payload_json: JSON text) or
        experiments_pb2.Variant; other Experiment input fields as keyword arguments, e.g.
        name="...", coverage=0.5, condition={"country": "DE"},
        metrics={"success": ["purchase"], "guardrails": [{"metric_key": "latency",
        "non_inferiority_margin": 0.02}]}. Returns the Experiment message."""
        experiment = self._experiment_proto(key, variants, fields)
        response = self._call(self.stubs.experiments.CreateExperiment,
                              experiments_pb2.CreateExperimentRequest(experiment=experiment),
                              timeout, "CreateExperiment")
        return _maybe_dict(response, as_dict)

    def update_experiment(self, key: str, expected_version: int, variants: Sequence = None,
                          as_dict: bool = False, timeout: Optional[float] = None, **fields):
        """Changes the given fields only (update mask = the fields passed). Returns the
        UpdateExperimentResponse (experiment, new_phase, new_phase_reason, changed)."""
        paths = list(fields) + (["variants"] if variants is not None else [])
        experiment = self._experiment_proto(key, variants or [], fields)
        request = experiments_pb2.UpdateExperimentRequest(
            experiment=experiment, expected_version=expected_version,
            update_mask=field_mask_pb2.FieldMask(paths=paths))
        response = self._call(self.stubs.experiments.UpdateExperiment, request, timeout,
                              "UpdateExperiment")
        return _maybe_dict(response, as_dict)

    def get_experiment(self, key: str, as_dict: bool = False, timeout: Optional[float] = None):
        """The experiment with its phases. NotFoundError when the key is unknown."""
        response = self._call(self.stubs.experiments.GetExperiment,
                              experiments_pb2.GetExperimentRequest(key=key), timeout,
                              "GetExperiment")
        return _maybe_dict(response, as_dict)

    def list_experiments(self, status: Optional[str] = None, tag: str = "", owner: str = "",
                         timeout: Optional[float] = None) -> list:
        """Every experiment (all pages), ordered by key; `status` e.g. "RUNNING"."""
        status_value = (experiments_pb2.ExperimentStatus.Value(f"EXPERIMENT_STATUS_{status}")
                        if status else 0)
        experiments, token = [], ""
        while True:
            request = experiments_pb2.ListExperimentsRequest(
                status=status_value, tag=tag, owner=owner,
                page=common_pb2.PageRequest(page_size=1000, page_token=token))
            response = self._call(self.stubs.experiments.ListExperiments, request, timeout,
                                  "ListExperiments")
            experiments.extend(response.experiments)
            token = response.page.next_page_token
            if not token:
                return experiments

    def start_experiment(self, key: str, expected_version: int = 0, as_dict: bool = False,
                         timeout: Optional[float] = None):
        """DRAFT -> RUNNING (opens phase 1). FailedPreconditionError from any other status."""
        response = self._call(self.stubs.experiments.StartExperiment,
                              experiments_pb2.StartExperimentRequest(
                                  key=key, expected_version=expected_version),
                              timeout, "StartExperiment")
        return _maybe_dict(response, as_dict)

    def stop_experiment(self, key: str, winning_variant: str = "", expected_version: int = 0,
                        as_dict: bool = False, timeout: Optional[float] = None):
        """RUNNING -> STOPPED; with winning_variant, Assign serves it to everyone."""
        response = self._call(self.stubs.experiments.StopExperiment,
                              experiments_pb2.StopExperimentRequest(
                                  key=key, winning_variant=winning_variant,
                                  expected_version=expected_version),
                              timeout, "StopExperiment")
        return _maybe_dict(response, as_dict)

    def archive_experiment(self, key: str, expected_version: int = 0, as_dict: bool = False,
                           timeout: Optional[float] = None):
        """DRAFT or STOPPED -> ARCHIVED (read-only; Assign answers UNKNOWN_EXPERIMENT)."""
        response = self._call(self.stubs.experiments.ArchiveExperiment,
                              experiments_pb2.ArchiveExperimentRequest(
                                  key=key, expected_version=expected_version),
                              timeout, "ArchiveExperiment")
        return _maybe_dict(response, as_dict)

    def set_override(self, experiment: str, unit_id: str, variant: str,
                     timeout: Optional[float] = None):
        """Forces `variant` for one unit (QA); Assign answers it with reason OVERRIDE."""
        return self._call(self.stubs.experiments.SetOverride,
                          experiments_pb2.SetOverrideRequest(
                              experiment_key=experiment, unit_id=unit_id, variant_key=variant),
                          timeout, "SetOverride")

    def clear_override(self, experiment: str, unit_id: str,
                       timeout: Optional[float] = None) -> None:
        """Removes one unit's override. NotFoundError when there is none."""
        self._call(self.stubs.experiments.ClearOverride,
                   experiments_pb2.ClearOverrideRequest(experiment_key=experiment, unit_id=unit_id),
                   timeout, "ClearOverride")

    @staticmethod
    def _experiment_proto(key, variants, fields) -> experiments_pb2.Experiment:
        data = dict(fields)
        if isinstance(data.get("condition"), Mapping):
            data["condition"] = json.dumps(data["condition"])
        data["key"] = key
        data["variants"] = [_variant_dict(v) for v in variants]
        try:
            return json_format.ParseDict(data, experiments_pb2.Experiment())
        except json_format.ParseError as error:
            raise ValueError(f"experiment {key}: {error}") from None

    # -- metrics -------------------------------------------------------------------------------

    def apply_metrics(self, metrics: Sequence, dry_run: bool = False, as_dict: bool = False,
                      timeout: Optional[float] = None):
        """Creates or updates metric definitions (dicts in metrics.proto field names, e.g.
        {"key": "purchase", "kind": "METRIC_KIND_PROPORTION", "numerator": {"event": "purchase"}},
        or metrics_pb2.Metric). Returns the ApplyMetricsResponse (what changed per metric)."""
        protos = []
        for metric in metrics:
            if isinstance(metric, metrics_pb2.Metric):
                protos.append(metric)
                continue
            try:
                protos.append(json_format.ParseDict(dict(metric), metrics_pb2.Metric()))
            except json_format.ParseError as error:
                raise ValueError(f"metric {metric.get('key', '?')}: {error}") from None
        response = self._call(self.stubs.metrics.ApplyMetrics,
                              metrics_pb2.ApplyMetricsRequest(metrics=protos, dry_run=dry_run),
                              timeout, "ApplyMetrics")
        return _maybe_dict(response, as_dict)

    # -- readouts ------------------------------------------------------------------------------

    def readout(self, key: str, phase: int = 0, alpha: float = 0.0, fixed_horizon: bool = False,
                as_of: Union[None, _dt.datetime, int] = None, as_dict: bool = False,
                timeout: Optional[float] = None):
        """GetReadout: per-variant results of every metric, health and the decision.

        phase 0 = the current (or last) phase; alpha 0 = 0.05; as_of None = now.
        Returns the readouts_pb2.Readout message, or a dict (proto field names) with as_dict.
        """
        request = readouts_pb2.GetReadoutRequest(
            experiment_key=key, phase=phase, alpha=alpha, fixed_horizon=fixed_horizon,
            as_of_micros=0 if as_of is None else to_micros(as_of))
        response = self._call(self.stubs.readouts.GetReadout, request, timeout, "GetReadout")
        return _maybe_dict(response, as_dict)


def _maybe_dict(message, as_dict: bool):
    if not as_dict:
        return message
    return json_format.MessageToDict(message, preserving_proto_field_name=True)

"""End-to-end tests of the Python client against a real liftd.

The module starts one liftd (binary from $LIFTD_BINARY) with an embedded PostgreSQL in a fresh
temporary --data-dir on a free port, waits for Ping, and stops it with SIGTERM at the end. Each
test uses its own experiment keys, so tests do not depend on each other's order.

Run:  LIFTD_BINARY=build/server/liftd \
      /usr/bin/python3 -m unittest discover -s clients/python/tests -v
(or `ctest -R python_client`). The lift.v1 modules are generated first if missing or stale.
"""

import datetime as dt
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
PACKAGE_ROOT = os.path.dirname(HERE)
sys.path.insert(0, PACKAGE_ROOT)

import generate  # noqa: E402  (clients/python/generate.py)

if generate.is_stale():
    generate.generate()

import grpc  # noqa: E402

import lift  # noqa: E402
from lift.client import to_micros  # noqa: E402
from lift.v1 import experiments_pb2, readouts_pb2  # noqa: E402

_server = None  # the module's LiftdServer


def fnv1a32(text: str) -> int:
    """FNV-1a 32-bit over UTF-16 code units (JavaScript charCodeAt), as GrowthBook hashes."""
    value = 0x811C9DC5
    data = text.encode("utf-16-le")
    for i in range(0, len(data), 2):
        value ^= data[i] | (data[i + 1] << 8)
        value = (value * 16777619) & 0xFFFFFFFF
    return value


def growthbook_hash_v2(seed: str, unit_id: str) -> float:
    """GrowthBook hash v2 (DESIGN.md "Assignment"; GrowthBook's sdk-js util.ts `hash`)."""
    return fnv1a32(str(fnv1a32(seed + unit_id))) % 10000 / 10000


class LiftdServer:
    """A liftd process with its own embedded PostgreSQL in a temporary folder."""

    def __init__(self, binary: str):
        self.binary = os.path.abspath(binary)  # liftd runs with cwd = the temp folder
        # The embedded cluster runs as `postgres` when we are root: the folder must be traversable.
        self.data_dir = tempfile.mkdtemp(prefix="lift-pytest-")
        os.chmod(self.data_dir, 0o755)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.address = f"127.0.0.1:{self.port}"
        self.log_path = os.path.join(self.data_dir, "liftd.log")
        self.process = None

    def start(self, timeout: float = 120.0) -> None:
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [self.binary, "--listen", self.address, "--data-dir",
                 os.path.join(self.data_dir, "data")],
                stdout=log, stderr=subprocess.STDOUT, cwd=self.data_dir)
        deadline = time.monotonic() + timeout
        with lift.Client(self.address, retries=False) as client:
            while True:
                if self.process.poll() is not None:
                    raise RuntimeError(
                        f"liftd exited with {self.process.returncode}:\n{self.log()}")
                try:
                    client.ping(timeout=1.0)
                    return
                except lift.LiftError:
                    if time.monotonic() > deadline:
                        self.stop()
                        raise RuntimeError(
                            f"liftd did not answer Ping in {timeout} s:\n{self.log()}")
                    time.sleep(0.1)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.data_dir, ignore_errors=True)

    def log(self) -> str:
        try:
            with open(self.log_path, errors="replace") as log:
                return log.read()[-4000:]
        except OSError:
            return ""


def setUpModule():
    global _server
    binary = os.environ.get("LIFTD_BINARY")
    if not binary or not os.access(binary, os.X_OK):
        raise RuntimeError(f"set LIFTD_BINARY to the liftd executable (got {binary!r})")
    _server = LiftdServer(binary)
    _server.start()


def tearDownModule():
    if _server is not None:
        _server.stop()


def _now():
    return dt.datetime.now(dt.timezone.utc)


class LiftTestCase(unittest.TestCase):
    def setUp(self):
        self.client = lift.Client(_server.address, timeout=30.0)

    def tearDown(self):
        self.client.close()

    def running_experiment(self, key, variants=("control", "treatment"), **fields):
        self.client.create_experiment(key, variants, **fields)
        self.client.start_experiment(key)
        self.client.wait_until_assignable(key, timeout=30.0)
        return self.client.get_experiment(key)


class SystemTest(LiftTestCase):
    def test_ping_answers_with_the_server_clock(self):
        result = self.client.ping()
        # Same machine: the server clock is the local clock (an hour is far beyond any skew).
        self.assertLess(abs(result.server_time_micros - to_micros(_now())), 3_600_000_000)
        self.assertGreaterEqual(result.round_trip_seconds, 0.0)

    def test_server_info_reports_the_embedded_database(self):
        info = self.client.server_info(as_dict=True)
        self.assertEqual(info["database_mode"], "embedded")
        self.assertRegex(info["version"], r"^\d+\.\d+\.\d+")
        self.assertGreater(int(info["schema_version"]), 0)

    def test_api_key_is_sent_as_bearer_metadata(self):
        with lift.Client(_server.address, api_key="secret-key") as client:
            self.assertEqual(client.metadata, (("authorization", "Bearer secret-key"),))
            # Auth is not enforced yet: the call carrying the header succeeds.
            self.assertGreater(client.ping().server_time_micros, 0)


class ExperimentTest(LiftTestCase):
    def test_create_start_and_get(self):
        created = self.client.create_experiment(
            "py_exp_lifecycle", [{"key": "control", "payload": {"color": "blue"}},
                                 {"key": "green", "payload": "green"}],
            name="Lifecycle", owner="growth", tags=["python"], coverage=0.8)
        self.assertEqual(created.status, experiments_pb2.EXPERIMENT_STATUS_DRAFT)
        self.assertEqual(created.version, 1)
        self.assertEqual([v.key for v in created.variants], ["control", "green"])
        started = self.client.start_experiment("py_exp_lifecycle")
        self.assertEqual(started.status, experiments_pb2.EXPERIMENT_STATUS_RUNNING)
        self.assertEqual(started.phase, 1)
        self.assertEqual([json.loads(v.payload) for v in created.variants],
                         [{"color": "blue"}, "green"])
        got = self.client.get_experiment("py_exp_lifecycle", as_dict=True)
        self.assertEqual(got["status"], "EXPERIMENT_STATUS_RUNNING")
        self.assertEqual(got["owner"], "growth")
        self.assertAlmostEqual(got["coverage"], 0.8)
        self.assertEqual(len(got["phases"]), 1)
        keys = [e.key for e in self.client.list_experiments(status="RUNNING")]
        self.assertIn("py_exp_lifecycle", keys)
        stopped = self.client.stop_experiment("py_exp_lifecycle", winning_variant="green")
        self.assertEqual(stopped.status, experiments_pb2.EXPERIMENT_STATUS_STOPPED)
        self.assertEqual(stopped.winning_variant, "green")


class AssignTest(LiftTestCase):
    def test_assign_is_deterministic_and_matches_growthbook_hash_v2(self):
        key = "py_assign_split"
        self.running_experiment(key, [{"key": "control", "payload": {"color": "blue"}},
                                      {"key": "treatment", "payload": {"color": "red"}}])
        seen = set()
        for i in range(60):
            unit = f"user-{i}"
            first = self.client.assign(unit, key)[key]
            second = self.client.assign(unit, [key])[0]
            self.assertEqual(first, second)
            bucket = growthbook_hash_v2(key, unit)
            expected = "control" if bucket < 0.5 else "treatment"
            self.assertEqual(first.reason, "SPLIT")
            self.assertTrue(first.in_experiment)
            self.assertEqual(first.phase, 1)
            self.assertAlmostEqual(first.bucket, bucket, places=9)
            self.assertEqual(first.variant, expected, unit)
            self.assertEqual(first.variant_index, 0 if expected == "control" else 1)
            self.assertEqual(first.payload, {"color": "blue" if expected == "control" else "red"})
            seen.add(first.variant)
        self.assertEqual(seen, {"control", "treatment"})

    def test_assign_batch_agrees_with_assign(self):
        key = "py_assign_batch"
        self.running_experiment(key, [{"key": "a", "payload": 1}, {"key": "b", "payload": 2},
                                      {"key": "c"}])
        units = [f"unit-{i}" for i in range(150)] + [{"id": "unit-attrs", "country": "DE"}]
        batch = self.client.assign_batch(units, [key, "py_no_such_experiment"])
        self.assertEqual(batch.experiments, [key, "py_no_such_experiment"])
        self.assertEqual(len(batch), len(units))
        for unit, result in zip(units, batch):
            unit_id = unit if isinstance(unit, str) else unit["id"]
            single = self.client.assign(unit_id, [key, "py_no_such_experiment"])
            self.assertEqual(list(result), list(single), unit_id)
            self.assertEqual(result[1].reason, "UNKNOWN_EXPERIMENT")
            self.assertIsNone(result[1].variant)
        self.assertEqual({r[0].variant for r in batch}, {"a", "b", "c"})
        payloads = {r[0].variant: r[0].payload for r in batch}
        self.assertEqual(payloads, {"a": 1, "b": 2, "c": None})

    def test_reasons_for_targeting_draft_and_unknown(self):
        key = "py_assign_targeting"
        # Created first: once the snapshot serves the running experiment it holds the draft too.
        self.client.create_experiment("py_assign_draft")
        self.running_experiment(key, condition={"country": "DE", "age": {"$gte": 18}})
        result = self.client.assign("user-1", [key, "py_assign_draft", "py_assign_unknown"],
                                    attributes={"country": "DE", "age": 31})
        self.assertEqual(result[key].reason, "SPLIT")  # typed attributes go as JSON
        self.assertEqual(result["py_assign_draft"].reason, "NOT_RUNNING")
        self.assertEqual(result["py_assign_unknown"].reason, "UNKNOWN_EXPERIMENT")
        self.assertIsNone(result.get("not_requested"))
        minor = self.client.assign("user-1", key, attributes={"country": "DE", "age": 12})[0]
        self.assertEqual(minor.reason, "TARGETING_MISS")
        self.assertFalse(minor.served)
        self.assertEqual(minor.variant_index, -1)
        elsewhere = self.client.assign("user-1", key, attributes={"country": "US", "age": "40"})[0]
        self.assertEqual(elsewhere.reason, "TARGETING_MISS")
        no_id = self.client.assign(None, key, attributes={"country": "DE", "age": 31})[0]
        self.assertEqual(no_id.reason, "MISSING_UNIT_ID")

    def test_unit_type_names_the_id_attribute(self):
        key = "py_assign_device"
        self.running_experiment(key, unit_type="device_id")
        by_device = self.client.assign("dev-9", key, unit_type="device_id")[0]
        self.assertEqual(by_device.reason, "SPLIT")
        self.assertAlmostEqual(by_device.bucket, growthbook_hash_v2(key, "dev-9"), places=9)
        self.assertEqual(self.client.assign("dev-9", key)[0].reason, "MISSING_UNIT_ID")

    def test_override_is_reported(self):
        key = "py_assign_override"
        self.running_experiment(key)
        self.client.set_override(key, "qa-user", "treatment")
        deadline = time.monotonic() + 30
        while True:  # the snapshot follows the change within about a second
            answer = self.client.assign("qa-user", key)[0]
            if answer.reason == "OVERRIDE" or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        self.assertEqual(answer.reason, "OVERRIDE")
        self.assertEqual(answer.variant, "treatment")


class IngestTest(LiftTestCase):
    def test_log_events_counts_and_retries_are_duplicates(self):
        now = _now()
        rows = [
            {"event_id": "py-ev-1", "unit_id": "u1", "event": "purchase", "value": 9.5,
             "timestamp": now},
            {"event_id": "py-ev-2", "unit_id": "u2", "event": "purchase",
             "timestamp": to_micros(now), "properties": {"plan": "pro"}},
            lift.MetricEvent(unit_id="u3", event="page_view", timestamp=now, event_id="py-ev-3"),
        ]
        first = self.client.log_events(rows)
        self.assertEqual((first.accepted, first.duplicates, first.rejected_count), (3, 0, 0))
        retry = self.client.log_events(rows)
        self.assertEqual((retry.accepted, retry.duplicates, retry.rejected_count), (0, 3, 0))

    def test_rows_without_event_id_are_still_idempotent(self):
        row = {"unit_id": "u-derived", "event": "signup", "timestamp": _now()}
        self.assertEqual(self.client.log_events([row]).accepted, 1)
        again = self.client.log_events([dict(row)])
        self.assertEqual((again.accepted, again.duplicates), (0, 1))

    def test_rejected_rows_name_index_and_field(self):
        now = _now()
        rows = [
            {"event_id": "py-rej-ok", "unit_id": "u1", "event": "purchase", "timestamp": now},
            {"event_id": "py-rej-1", "unit_id": "", "event": "purchase", "timestamp": now},
            {"event_id": "py-rej-2", "unit_id": "u1", "event": "bad name!", "timestamp": now},
            {"event_id": "py-rej-3", "unit_id": "u1", "event": "purchase",
             "timestamp": dt.datetime(1999, 12, 31, tzinfo=dt.timezone.utc)},
        ]
        result = self.client.log_events(rows)
        self.assertEqual(result.accepted, 1)
        self.assertEqual(result.rejected_count, 3)
        self.assertEqual([(r.index, r.field) for r in result.rejected],
                         [(1, "unit_id"), (2, "event"), (3, "timestamp_micros")])
        for rejected in result.rejected:
            self.assertTrue(rejected.reason)

    def test_log_exposures_accepts_and_rejects(self):
        key = "py_ingest_exposures"
        self.running_experiment(key)
        now = _now()
        rows = [
            lift.Exposure(experiment=key, variant="control", unit_id="u1", timestamp=now,
                          attributes={"country": "DE"}, event_id="py-x-1"),
            {"experiment": key, "variant": "treatment", "unit_id": "u2", "timestamp": now,
             "event_id": "py-x-2"},
            {"experiment": key, "variant": "no_such_variant", "unit_id": "u3", "timestamp": now,
             "event_id": "py-x-3"},
        ]
        result = self.client.log_exposures(rows)
        self.assertEqual((result.accepted, result.duplicates, result.rejected_count), (2, 0, 1))
        self.assertEqual([(r.index, r.field) for r in result.rejected], [(2, "variant")])
        retry = self.client.log_exposures(rows[:2])
        self.assertEqual((retry.accepted, retry.duplicates), (0, 2))

    def test_local_validation_before_sending(self):
        with self.assertRaisesRegex(ValueError, r"rows\[0\]: timestamp is required"):
            self.client.log_events([{"unit_id": "u1", "event": "purchase"}])
        with self.assertRaises(TypeError):
            self.client.log_events([{"unit_id": "u1", "event": "purchase", "timestamp": 1.5}])
        with self.assertRaises(TypeError):
            self.client.log_events(["not a row"])


class TimestampTest(unittest.TestCase):
    def test_to_micros(self):
        aware = dt.datetime(2024, 3, 1, 12, 0, 0, 123456, tzinfo=dt.timezone.utc)
        self.assertEqual(to_micros(aware), 1709294400123456)  # date -u -d 2024-03-01T12:00:00 +%s
        self.assertEqual(to_micros(aware.replace(tzinfo=None)), 1709294400123456)  # naive = UTC
        cet = dt.timezone(dt.timedelta(hours=1))
        self.assertEqual(to_micros(dt.datetime(2024, 3, 1, 13, 0, 0, 123456, tzinfo=cet)),
                         1709294400123456)
        self.assertEqual(to_micros(1709294400123456), 1709294400123456)
        with self.assertRaises(TypeError):
            to_micros(True)


class ErrorTest(LiftTestCase):
    def test_not_found(self):
        with self.assertRaises(lift.NotFoundError) as caught:
            self.client.get_experiment("py_no_such_experiment")
        self.assertIsInstance(caught.exception, lift.LiftError)
        self.assertEqual(caught.exception.code, grpc.StatusCode.NOT_FOUND)
        self.assertEqual(caught.exception.code_name, "NOT_FOUND")
        self.assertIn("py_no_such_experiment", caught.exception.message)
        self.assertFalse(caught.exception.retryable)

    def test_already_exists_failed_precondition_invalid_argument(self):
        self.client.create_experiment("py_err_twice")
        with self.assertRaises(lift.AlreadyExistsError) as caught:
            self.client.create_experiment("py_err_twice")
        self.assertEqual(caught.exception.code, grpc.StatusCode.ALREADY_EXISTS)
        self.client.start_experiment("py_err_twice")
        with self.assertRaises(lift.FailedPreconditionError):
            self.client.start_experiment("py_err_twice")
        with self.assertRaises(lift.InvalidArgumentError) as caught:
            self.client.create_experiment("py_err_weights", [{"key": "a", "weight": -0.5},
                                                             {"key": "b", "weight": 1.5}])
        self.assertIn("weight", caught.exception.message)
        with self.assertRaises(lift.AbortedError):
            self.client.update_experiment("py_err_twice", expected_version=999, name="x")

    def test_update_experiment_with_mask(self):
        created = self.client.create_experiment("py_err_update", name="before")
        response = self.client.update_experiment("py_err_update", created.version, name="after")
        self.assertTrue(response.changed)
        self.assertEqual(response.experiment.name, "after")
        self.assertEqual(response.experiment.version, created.version + 1)

    def test_unreachable_server_is_unavailable(self):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]  # closed again below: nothing listens there
        with lift.Client(f"127.0.0.1:{port}", timeout=5.0, retries=False) as client:
            with self.assertRaises(lift.UnavailableError) as caught:
                client.ping()
        self.assertTrue(caught.exception.retryable)


class ReadoutTest(LiftTestCase):
    def test_readout_counts_exposed_units_per_variant(self):
        self.client.apply_metrics([{"key": "py_converted", "kind": "METRIC_KIND_PROPORTION",
                                    "numerator": {"event": "py_convert"},
                                    "cuped_pre_period_days": 0}])
        key = "py_readout"
        self.running_experiment(key, metrics={"success": ["py_converted"]})
        units = [f"r-{i}" for i in range(40)]
        batch = self.client.assign_batch(units, key)
        now = _now()
        exposures = [{"experiment": key, "variant": r[0].variant, "unit_id": u, "timestamp": now}
                     for u, r in zip(units, batch)]
        self.assertEqual(self.client.log_exposures(exposures).accepted, len(units))
        converted = units[::4]
        self.assertEqual(self.client.log_events(
            [{"unit_id": u, "event": "py_convert", "timestamp": now} for u in converted]
        ).accepted, len(converted))
        expected = {"control": 0, "treatment": 0}
        for result in batch:
            expected[result[0].variant] += 1
        readout = self.client.readout(key)
        self.assertIsInstance(readout, readouts_pb2.Readout)
        self.assertEqual(readout.experiment_key, key)
        self.assertEqual(readout.phase, 1)
        self.assertEqual({v.key: v.units for v in readout.variants}, expected)
        self.assertEqual([m.metric_key for m in readout.metrics], ["py_converted"])
        sums = {v.variant: v.sum for v in readout.metrics[0].variants}
        expected_sums = {"control": 0.0, "treatment": 0.0}
        for unit, result in zip(units, batch):
            if unit in converted:
                expected_sums[result[0].variant] += 1
        self.assertEqual(sums, expected_sums)
        as_dict = self.client.readout(key, as_dict=True)
        self.assertEqual(as_dict["experiment_key"], key)
        self.assertIn(as_dict["decision"]["verdict"], readouts_pb2.Decision.Verdict.keys())

    def test_readout_of_unknown_experiment_is_not_found(self):
        with self.assertRaises(lift.NotFoundError):
            self.client.readout("py_readout_missing")


class ExamplesTest(unittest.TestCase):
    """The examples are part of the documentation: they must run against a real server."""

    def run_example(self, name, *args):
        env = dict(os.environ, PYTHONPATH=PACKAGE_ROOT)
        completed = subprocess.run(
            [sys.executable, os.path.join(PACKAGE_ROOT, "examples", name), "--server",
             _server.address, *args], capture_output=True, text=True, env=env, timeout=120)
        self.assertEqual(completed.returncode, 0, completed.stderr)
        return completed.stdout

    def test_quickstart(self):
        output = self.run_example("quickstart.py", "--key", "py_quickstart", "--users", "300")
        self.assertIn("exposures: 300 stored", output)
        self.assertRegex(output, r"decision: (SHIP|DONT_SHIP|INVALID|KEEP_RUNNING)")

    def test_openfeature_example_maps_reasons(self):
        output = self.run_example("openfeature_flags.py")
        self.assertRegex(output, r"user-3 in US .*reason=DEFAULT")
        self.assertRegex(output, r"no targeting key .*error=TARGETING_KEY_MISSING")
        self.assertRegex(output, r"unknown flag .*error=FLAG_NOT_FOUND")

    def test_openfeature_provider_resolution_details(self):
        sys.path.insert(0, os.path.join(PACKAGE_ROOT, "examples"))
        import openfeature_flags as of  # noqa: E402

        with lift.Client(_server.address, timeout=30.0) as client:
            client.create_experiment(
                "py_of_flag", [{"key": "small", "payload": 10}, {"key": "large", "payload": 20}],
                condition={"plan": "pro"})
            client.start_experiment("py_of_flag")
            client.wait_until_assignable("py_of_flag", timeout=30.0)
            provider = of.LiftProvider(client, log_exposure=True)
            context = of.EvaluationContext("acct-7", {"plan": "pro"})
            details = provider.resolve_integer_details("py_of_flag", 0, context)
            answer = client.assign("acct-7", "py_of_flag", attributes={"plan": "pro"})[0]
            self.assertEqual(details.reason, "SPLIT")
            self.assertEqual(details.variant, answer.variant)
            self.assertEqual(details.value, answer.payload)
            self.assertEqual(details.flag_metadata["bucket"], answer.bucket)
            self.assertEqual(details.flag_metadata["variant_index"], answer.variant_index)
            mismatch = provider.resolve_boolean_details("py_of_flag", False, context)
            self.assertEqual((mismatch.value, mismatch.error_code), (False, "TYPE_MISMATCH"))
            free = provider.resolve_integer_details(
                "py_of_flag", 5, of.EvaluationContext("acct-8", {"plan": "free"}))
            self.assertEqual((free.value, free.reason, free.variant), (5, "DEFAULT", None))
            client.stop_experiment("py_of_flag", winning_variant="large")
            deadline = time.monotonic() + 30
            while True:
                static = provider.resolve_integer_details("py_of_flag", 0, context)
                if static.reason == "STATIC" or time.monotonic() > deadline:
                    break
                time.sleep(0.05)
            self.assertEqual((static.value, static.variant, static.reason), (20, "large", "STATIC"))
        with lift.Client("127.0.0.1:1", timeout=2.0, retries=False) as down:
            offline = of.LiftProvider(down).resolve_integer_details("py_of_flag", 3, context)
        self.assertEqual((offline.value, offline.error_code), (3, "PROVIDER_NOT_READY"))


if __name__ == "__main__":
    unittest.main()

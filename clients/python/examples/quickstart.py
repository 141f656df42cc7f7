#!/usr/bin/env python3
"""Lift in five steps: define a metric, create and start an experiment, assign users, log what
they saw and did, read the result.

Start a server first (embedded PostgreSQL, nothing else to install):
    build/server/liftd --listen 127.0.0.1:50051 --data-dir .lift
then:
    PYTHONPATH=clients/python /usr/bin/python3 clients/python/examples/quickstart.py \
        --server 127.0.0.1:50051 [--key checkout_button_quickstart] [--users 2000]
"""

import argparse
import datetime as dt
import os
import random
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import lift  # noqa: E402
from lift.v1 import experiments_pb2, readouts_pb2  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Lift quickstart")
    parser.add_argument("--server", default=os.environ.get("LIFT_SERVER", "127.0.0.1:50051"))
    parser.add_argument("--api-key", default=os.environ.get("LIFT_API_KEY"))
    parser.add_argument("--key", default="checkout_button_quickstart", help="experiment key")
    parser.add_argument("--users", type=int, default=2000, help="simulated users")
    args = parser.parse_args(argv)

    with lift.Client(args.server, api_key=args.api_key) as client:
        print(f"connected to {args.server}: liftd {client.server_info().version}")

        # 1. A metric: did the user purchase (0/1 per user) after first seeing the experiment?
        client.apply_metrics([{
            "key": "quickstart_purchase", "name": "Purchase", "kind": "METRIC_KIND_PROPORTION",
            "numerator": {"event": "purchase"}, "cuped_pre_period_days": 0,
        }])

        # 2. An experiment with a feature-flag payload per variant, judged by that metric.
        try:
            client.create_experiment(
                args.key,
                [{"key": "control", "payload": {"color": "blue"}},
                 {"key": "green", "payload": {"color": "green"}}],
                name="Green checkout button", hypothesis="Green converts better",
                metrics={"success": ["quickstart_purchase"]})
        except lift.AlreadyExistsError:
            print(f"experiment {args.key} exists already; reusing it")
        if client.get_experiment(args.key).status == experiments_pb2.EXPERIMENT_STATUS_DRAFT:
            client.start_experiment(args.key)
        client.wait_until_assignable(args.key)

        # 3. Assign: deterministic, so the same user always gets the same variant.
        answer = client.assign("user-42", args.key)[args.key]
        print(f"user-42 -> {answer.variant} (reason {answer.reason}, bucket {answer.bucket}, "
              f"payload {answer.payload})")

        # 4. Simulate traffic: assign everyone in one call, log exposures and purchases
        #    (green converts at 12 % instead of 10 %).
        users = [f"user-{i}" for i in range(args.users)]
        batch = client.assign_batch(users, args.key)
        now = dt.datetime.now(dt.timezone.utc)
        rng = random.Random(7)
        exposures, events = [], []
        for user, result in zip(users, batch):
            variant = result[0].variant
            if variant is None:
                continue
            exposures.append({"experiment": args.key, "variant": variant, "unit_id": user,
                              "timestamp": now, "event_id": f"{args.key}:{user}:exp"})
            if rng.random() < (0.12 if variant == "green" else 0.10):
                events.append({"unit_id": user, "event": "purchase", "value": 1,
                               "timestamp": now + dt.timedelta(microseconds=1),
                               "event_id": f"{user}:purchase"})
        logged = client.log_exposures(exposures)
        print(f"exposures: {logged.accepted} stored, {logged.duplicates} already there")
        logged = client.log_events(events)
        print(f"purchases: {logged.accepted} stored, {logged.duplicates} already there")

        # 5. The readout: per-variant results, health and the decision.
        readout = client.readout(args.key)
        for variant in readout.variants:
            print(f"  {variant.key:8} units={variant.units}")
        for metric in readout.metrics:
            for effect in metric.effects:
                print(f"  {metric.metric_key}: {effect.variant} vs control: "
                      f"{effect.relative.estimate:+.1%} "
                      f"[{effect.relative.ci_low:+.1%}, {effect.relative.ci_high:+.1%}] "
                      f"p={effect.p_value:.3g}")
        verdict = readouts_pb2.Decision.Verdict.Name(readout.decision.verdict)
        print(f"decision: {verdict[len('VERDICT_'):]}")
        for reason in readout.decision.reasons:
            print(f"  - {reason}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

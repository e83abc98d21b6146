#!/usr/bin/env python3
"""Crash test (issue #7): kill -9 handoffd at 10 random points of a long event stream,
restarting it each time; the decisions it published, deduplicated by id, must equal what
`handoffd replay` decides on the same events: none lost, none with another outcome.

The stream (one topic, two partitions) is sorted by event time, lies two days in the
past, and is produced before the first start, so no event can be late: partitions are
never caught up (and so never idle: docs/reference/timing.md) until every record was read.
The consumer is slowed (one record per fetch, a small pre-fetch queue) and each run is
killed after a random number of records, so that the kills land while records are still
being read, between checkpoints written every 200 ms.

Each run joins a new consumer group: a member killed with -9 would otherwise hold its
partitions until the session timeout. The committed offsets are then of no help, which
is the point: the checkpoints' offsets are the ones that count (docs/durability.md).

Which --as-of? The live run ends with every partition read to its end and idle, so the
wall-clock frontier moves to now - lateness, past every deadline of the stream: every
instance still open breaches. Replay's default (--as-of the last event's time) would
leave the instances whose deadline falls after the last event open and undecided. So
the replay runs --as-of far in the future (any instant after the last deadline gives
the same decisions): it decides exactly what the live frontier decides.
"""

import datetime
import json
import os
import random
import signal
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from handoff_testing import (HANDOFFD, QUICK_RECONNECT, Handoffd, MockKafkaTestCase,
                             cloud_event, rfc3339, wait_for, write_config)

ORDERS = 6000
KILLS = 10
TARGET_S = 600  # accept within 10 minutes


def event_stream(seed, orders=ORDERS):
    """(key, CloudEvent) records sorted by time: every order is requested, most are
    accepted, some only after the target (breached, then resolved), some never."""
    rnd = random.Random(seed)
    base = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=2)
    events = []
    for i in range(orders):
        key = f"order-{i}"
        start = base + datetime.timedelta(seconds=2 * i)
        events.append((start, key, "handoff.requested"))
        if rnd.random() < 0.8:
            events.append((start + datetime.timedelta(seconds=rnd.uniform(30, 2 * TARGET_S)),
                           key, "handoff.accepted"))
    events.sort()
    return [(key, cloud_event(f"{key}-{type_}", type_, key, rfc3339(t),
                              **{"from": "sales", "to": "operations"}))
            for t, key, type_ in events]


def expected_ids(instance):
    """The decision ids the live run publishes for one replayed instance."""
    prefix = f"{instance['sla']}/{instance['key']}/{instance['cycle']}/"
    kinds = []
    if instance["breached_at"] is not None:
        kinds.append("breached")
    kinds += {"met": ["met"], "breached": ["resolved"], "cancelled": ["cancelled"]}.get(
        instance["state"], [])
    return [prefix + kind for kind in kinds]


def assert_published_decisions_match_replay(test, config_path, records):
    """The decisions topic, deduplicated by id, holds exactly what `handoffd replay`
    decides on `records` (with the same times), and copies of one id are identical.
    Returns (distinct ids, copies published)."""
    input_path = os.path.join(test.workdir, "events.jsonl")
    with open(input_path, "w") as f:
        f.writelines(v + "\n" for _, v in records)
    report = json.loads(subprocess.run(
        [HANDOFFD, "replay", "--config", config_path, "--input", input_path,
         "--as-of", "2999-01-01T00:00:00Z", "--instances"],
        capture_output=True, check=True, timeout=60).stdout)
    test.assertEqual(report["events"]["late"], 0)
    expected = {}
    for instance in report["instances"]:
        for event_id in expected_ids(instance):
            expected[event_id] = instance

    # What the live runs published, deduplicated by id. Copies of one id are equal.
    published = {}
    text = test.kafka.consume("decisions", "%s\n", timeout=60)
    copies = 0
    for line in text.splitlines():
        if not line.strip():
            continue
        event = json.loads(line)
        copies += 1
        if event["id"] in published:
            test.assertEqual(event, published[event["id"]], "two copies of one id differ")
        published[event["id"]] = event
    print(f"{len(published)} decisions ({copies - len(published)} re-sent copies); "
          f"replay expects {len(expected)}", file=sys.stderr)

    test.assertEqual(sorted(set(expected) - set(published))[:10], [], "decisions lost")
    test.assertEqual(sorted(set(published) - set(expected))[:10], [], "decisions not in replay")
    for event_id, event in published.items():
        instance, data = expected[event_id], event["data"]
        for field in ("started_at", "breached_at", "deadline"):
            if field == "deadline" and event["type"] != "handoff.sla.breached":
                continue
            test.assertEqual(data[field], instance[field], f"{event_id}: {field}")
        if event["type"] in ("handoff.sla.met", "handoff.sla.resolved"):
            test.assertEqual(data["ended_at"], instance["ended_at"], f"{event_id}: ended_at")
            test.assertEqual(data["state"], instance["state"], f"{event_id}: state")
    return len(published), copies


class CrashTest(MockKafkaTestCase):
    WORKDIR_PREFIX = "handoff-crash-"
    TOPICS = ["handoffs:2", "decisions:4"]

    def test_kill_9_at_random_points_loses_no_decision_and_changes_none(self):
        seed = int(os.environ.get("CRASH_SEED", time.time_ns() % 1_000_000))
        print(f"crash test seed {seed} (CRASH_SEED={seed} repeats it)", file=sys.stderr)
        rnd = random.Random(seed)
        records = event_stream(seed)
        # One record per batch, so that one fetch returns one record.
        self.kafka.produce("handoffs", [f"{k}|{v}" for k, v in records],
                           properties={"batch.num.messages": "1"})
        config_path = os.path.join(self.workdir, "handoffd.yaml")
        checkpoint_dir = os.path.join(self.workdir, "checkpoints")
        throttle = {"fetch.message.max.bytes": "1", "queued.min.messages": "20"}

        def start(run):
            write_config(config_path, self.kafka.brokers, checkpoint_dir,
                         slas=(("accept", f"{TARGET_S}s"),), group=f"crash-{run}",
                         breach_topic="decisions", interval="200ms",
                         properties={**QUICK_RECONNECT, "session.timeout.ms": "6000", **throttle})
            return Handoffd(self.procs, self.workdir, f"run-{run}", config_path)

        def consumed(d):
            return d.metric("handoff_events_consumed_total")

        kills = []
        for run in range(KILLS):
            d = start(run)
            wait_for(lambda: "kafka partitions assigned" in d.log(), 30, f"run {run} assigned")
            # A random point: after a random number of records read by this run (which
            # re-reads what came after the last checkpoint), or, once the stream is read
            # to its end, a random moment later.
            target = rnd.randint(1, 1500)
            give_up = time.monotonic() + rnd.uniform(0.5, 3)
            while consumed(d) < target and time.monotonic() < give_up:
                time.sleep(0.01)
            kills.append(consumed(d))
            d.proc.send_signal(signal.SIGKILL)
            d.proc.wait(timeout=10)
        print(f"killed after reading {kills} records", file=sys.stderr)

        # The last run reads to the end and decides everything, then stops cleanly.
        d = start(KILLS)
        # Everything is decided once both partitions' frontiers passed the last event:
        # only the wall clock moves them there, after every record was read.
        last_event = datetime.datetime.now(datetime.timezone.utc).timestamp() - 86400

        def frontiers():
            return [v for _, v in d.series("handoff_partition_frontier_timestamp_seconds")]
        wait_for(lambda: len(frontiers()) == 2 and min(frontiers()) > last_event, 60,
                 "both frontiers past the stream")
        self.assertEqual(d.stop(), 0)

        assert_published_decisions_match_replay(self, config_path, records)

if __name__ == "__main__":
    unittest.main()

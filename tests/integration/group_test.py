#!/usr/bin/env python3
"""Several members, one group (issue #17): three handoffd with checkpoint.store: kafka
share a consumer group over 8 partitions, and partitions move between them while a
stream with breaches due throughout is read. In each test the decisions topic,
deduplicated by id, must equal what `handoffd replay` decides on the same events, and
copies of one id must be identical; a clean handover (SIGTERM) must send no copy at all.

The stream is crash_test's: two days old, sorted by time, produced before the members
start, read slowly (one record per fetch) so that partitions move while it is read.
Members are named by kafka.group_instance_id (static membership), as a StatefulSet's
pods are.
"""

import datetime
import json
import os
import random
import signal
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from crash_test import TARGET_S, assert_published_decisions_match_replay, event_stream
from handoff_testing import QUICK_RECONNECT, Handoffd, MockKafkaTestCase, wait_for, write_config

ORDERS = 2000
PARTITIONS = 8
MEMBERS = ("a", "b", "c")
SESSION_MS = 6000


class GroupTest(MockKafkaTestCase):
    WORKDIR_PREFIX = "handoff-group-"
    TOPICS = [f"handoffs:{PARTITIONS}", "decisions:4", f"handoff.state:{PARTITIONS}"]

    def setUp(self):
        super().setUp()
        seed = int(os.environ.get("GROUP_SEED", time.time_ns() % 1_000_000))
        print(f"group test seed {seed} (GROUP_SEED={seed} repeats it)", file=sys.stderr)
        self.rnd = random.Random(seed)
        self.records = event_stream(seed, ORDERS)
        self.kafka.produce("handoffs", [f"{k}|{v}" for k, v in self.records],
                           properties={"batch.num.messages": "1"})
        self.config_path = os.path.join(self.workdir, "handoffd.yaml")
        write_config(self.config_path, self.kafka.brokers, None,
                     slas=(("accept", f"{TARGET_S}s"),), group="group",
                     breach_topic="decisions", interval="200ms", state_topic="handoff.state",
                     properties={**QUICK_RECONNECT, "session.timeout.ms": str(SESSION_MS),
                                 "heartbeat.interval.ms": "500",
                                 # Committed offsets close behind the engine: a partition
                                 # whose state were lost would start near where it was
                                 # and miss the decisions of the orders opened before.
                                 "auto.commit.interval.ms": "200",
                                 "fetch.message.max.bytes": "1", "queued.min.messages": "20"})
        self.runs = 0

    def member(self, name):
        self.runs += 1
        return Handoffd(self.procs, self.workdir, f"{name}-{self.runs}", self.config_path,
                        env={"HANDOFF_KAFKA_GROUP_INSTANCE_ID": name})

    def start_all(self):
        members = {name: self.member(name) for name in MEMBERS}
        wait_for(lambda: all(m.assignments() for m in members.values()), 30, "every member assigned")
        return members

    def wait_decided(self, members):
        """Waits until the group decided the whole stream: every partition's frontier, on
        whichever member owns it, past the last event."""
        last_event = datetime.datetime.now(datetime.timezone.utc).timestamp() - 86400

        def frontiers():
            out = {}
            for m in members:
                for labels, value in m.series("handoff_partition_frontier_timestamp_seconds"):
                    out[labels["partition"]] = value
            return out
        wait_for(lambda: len(frontiers()) == PARTITIONS and min(frontiers().values()) > last_event,
                 90, "every partition's frontier past the stream")

    def finish(self, members):
        """Waits until the group decided the whole stream, stops every member with SIGTERM
        and compares with replay. Returns (distinct ids, copies published)."""
        self.wait_decided(members)
        for m in members:
            self.assertEqual(m.stop(), 0, m.log_path)
        return assert_published_decisions_match_replay(self, self.config_path, self.records)

    def test_kill_9_a_random_member_at_random_moments(self):
        members = self.start_all()
        for _ in range(10):
            # A random moment while the group reads: each restarted member first rejoins.
            time.sleep(self.rnd.uniform(0.2, 1.5))
            name = self.rnd.choice(MEMBERS)
            members[name].proc.send_signal(signal.SIGKILL)
            members[name].proc.wait(timeout=10)
            members[name] = self.member(name)
            wait_for(members[name].assignments, 30, f"{name} assigned again")
        self.finish(members.values())

    def test_a_rolling_restart_by_sigterm_sends_no_duplicate(self):
        members = self.start_all()
        for name in MEMBERS:
            self.assertEqual(members[name].stop(), 0)
            members[name] = self.member(name)
            wait_for(members[name].ready, 30, f"{name} ready again")
        unique, copies = self.finish(members.values())
        self.assertEqual(copies, unique, "a clean handover re-sent decisions")

    def test_a_member_added_then_removed_sends_no_duplicate(self):
        members = {name: self.member(name) for name in MEMBERS[:2]}
        wait_for(lambda: all(m.assignments() for m in members.values()), 30,
                 "both members assigned")
        time.sleep(self.rnd.uniform(0.2, 1.0))
        added = self.member(MEMBERS[2])
        wait_for(added.assignments, 30, "the added member assigned")
        time.sleep(self.rnd.uniform(0.2, 1.0))
        self.assertEqual(added.stop(), 0)
        unique, copies = self.finish(members.values())
        self.assertEqual(copies, unique, "a clean handover re-sent decisions")

    def test_a_member_stopped_past_its_session_never_contradicts_the_new_owner(self):
        members = self.start_all()
        zombie = members["b"]
        zombie.proc.send_signal(signal.SIGSTOP)
        # The others take its partitions over once its session expires.
        wait_for(lambda: len(members["a"].assignments()) + len(members["c"].assignments()) > 2,
                 SESSION_MS / 1000 + 20, "b's partitions taken over")
        time.sleep(1)
        zombie.proc.send_signal(signal.SIGCONT)
        self.finish(members.values())

    def test_every_member_answers_the_api_for_the_whole_group(self):
        members = self.start_all()
        self.wait_decided(members.values())
        accepted = {key for key, event in self.records if '"handoff.accepted"' in event}
        never_accepted = {key for key, _ in self.records} - accepted

        def instances(member):
            status, body = member.get("/api/v1/instances?limit=10000")
            self.assertEqual(status, 200, body)
            return json.loads(body)

        def fixed(answer):
            """The answer without elapsed_seconds, which the idle frontiers move with the
            wall clock between two requests."""
            return json.dumps([{k: v for k, v in i.items() if k != "elapsed_seconds"}
                               for i in answer["instances"]] + [answer["matched"]])
        # Each member owns about a third of the partitions, and answers for all of them.
        answers = {name: instances(m) for name, m in members.items()}
        self.assertEqual(len({fixed(a) for a in answers.values()}), 1, "the members' answers differ")
        answer = answers["a"]
        self.assertEqual(answer["unreachable"], [])
        self.assertEqual({i["key"] for i in answer["instances"]}, never_accepted)
        self.assertEqual(answer["matched"], len(never_accepted))
        local = json.loads(members["a"].get("/api/v1/instances?limit=10000&local=1")[1])
        self.assertLess(local["matched"], len(never_accepted))

        for key in (sorted(accepted)[0], sorted(never_accepted)[0]):
            timelines = {m.get(f"/api/v1/orders/{key}") for m in members.values()}
            self.assertEqual(len(timelines), 1, f"the members' timelines of {key} differ")
            status, body = timelines.pop()
            self.assertEqual(status, 200, body)
            self.assertEqual(json.loads(body)["instances"][0]["sla"], "accept")

        # An order on c's partitions: its timeline, as c has it.
        on_c = json.loads(members["c"].get("/api/v1/instances?limit=1&local=1")[1])["instances"]
        self.assertEqual(len(on_c), 1)
        key = on_c[0]["key"]
        status, body = members["c"].get(f"/api/v1/orders/{key}?local=1")
        self.assertEqual(status, 200, body)
        before = json.loads(body)["instances"]

        # A member that dies is named in the answers until the group has taken its
        # partitions over; then the answers are whole again.
        members["c"].proc.send_signal(signal.SIGKILL)
        members["c"].proc.wait(timeout=10)
        partial = instances(members["a"])
        self.assertEqual([u["member"] for u in partial["unreachable"]], [members["c"].url])

        def whole_again():
            again = instances(members["b"])
            return again["unreachable"] == [] and again["matched"] == len(never_accepted)
        wait_for(whole_again, SESSION_MS / 1000 + 30, "the answers whole again without c")
        # The order's timeline moved with its partition: its new owner has all of it.
        status, body = members["a"].get(f"/api/v1/orders/{key}")
        self.assertEqual(status, 200, body)
        self.assertEqual([i["decisions"] for i in json.loads(body)["instances"]],
                         [i["decisions"] for i in before])


if __name__ == "__main__":
    unittest.main()

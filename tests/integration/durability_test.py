#!/usr/bin/env python3
"""Process-level tests of handoffd's lifecycle and durability (issue #7).

The real handoffd against tests/tools/mock_kafka: sd_notify over a real unix datagram
socket named in NOTIFY_SOCKET, config reloads (SIGHUP and POST /-/reload), and a
restart that keeps an open SLA. Helpers come from tests/support/handoff_testing.py
(deadlines on every wait, every process killed on the way out).

Environment: HANDOFFD and MOCK_KAFKA name the binaries (ctest sets them).
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from handoff_testing import (QUICK_RECONNECT, Handoffd, MockKafkaTestCase, cloud_event,
                             now_rfc3339, rfc3339, wait_for, write_config)


class NotifySocket:
    """A unix datagram socket standing in for systemd's; collects what handoffd sends."""

    def __init__(self, test, workdir):
        self.path = os.path.join(workdir, "notify.sock")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.sock.setblocking(False)
        test.addCleanup(self.sock.close)
        self.messages = []

    def read(self):
        while True:
            try:
                self.messages.append(self.sock.recv(4096).decode())
            except BlockingIOError:
                return self.messages

    def lines(self):
        return [line for message in self.read() for line in message.splitlines()]

    def count(self, line):
        return self.lines().count(line)


class DurabilityTest(MockKafkaTestCase):
    WORKDIR_PREFIX = "handoff-durability-"
    TOPICS = ["handoffs:2", "decisions:1"]

    def setUp(self):
        super().setUp()
        self.config_path = os.path.join(self.workdir, "handoffd.yaml")
        self.checkpoint_dir = os.path.join(self.workdir, "checkpoints")

    def write_config(self, slas=(("accept", "3s"),), group="itest"):
        """One topic, the decisions topic, one sales -> operations SLA per (name, target)."""
        write_config(self.config_path, self.kafka.brokers, self.checkpoint_dir, slas=slas,
                     group=group, breach_topic="decisions", interval="1s",
                     properties={**QUICK_RECONNECT, "session.timeout.ms": "6000"})

    def daemon(self, name, **kwargs):
        return Handoffd(self.procs, self.workdir, name, self.config_path, **kwargs)

    def requested(self, key, time_):
        return f"{key}|" + cloud_event(f"{key}-requested", "handoff.requested", key, time_,
                                       **{"from": "sales", "to": "operations"})

    def test_sd_notify_ready_reload_stopping_and_watchdog(self):
        self.write_config()
        notify = NotifySocket(self, self.workdir)
        d = self.daemon("d", env={"NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "400000"})
        wait_for(lambda: "READY=1" in notify.lines(), 20, "READY=1")
        self.assertTrue(d.ready())
        self.assertTrue(any(line.startswith("STATUS=") for line in notify.lines()))
        # The watchdog pings every WATCHDOG_USEC / 2, from the loop.
        wait_for(lambda: notify.count("WATCHDOG=1") >= 3, 5, "watchdog pings")

        d.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: notify.count("READY=1") == 2, 10, "READY=1 after the reload")
        lines = notify.lines()
        reloading = lines.index("RELOADING=1")
        self.assertLess(lines.index("READY=1"), reloading)
        self.assertIn("READY=1", lines[reloading:])
        self.assertTrue(any(line.startswith("MONOTONIC_USEC=") for line in lines[reloading:]))

        self.assertEqual(d.stop(), 0)
        self.assertIn("STOPPING=1", notify.lines())
        self.assertEqual(notify.count("READY=1"), 2)

    def test_reload_adds_an_sla_and_an_invalid_file_keeps_the_old_config(self):
        self.write_config()
        d = self.daemon("d", args=["--web.enable-lifecycle"])
        wait_for(d.ready, 20, "ready")
        self.assertEqual(d.metric("handoff_config_last_reload_successful"), 1)
        self.assertEqual(d.series("handoff_sla_started_total"),
                         [({"from": "sales", "owner": "operations", "sla": "accept",
                            "to": "operations"}, 0.0)])
        loaded_at = d.metric("handoff_config_last_reload_success_timestamp_seconds")

        # Valid: a second SLA (its series at 0), and a kafka change that needs a restart.
        time.sleep(0.01)
        self.write_config(slas=(("accept", "3s"), ("accept_fast", "1s")), group="other")
        status, body = d.post("/-/reload")
        self.assertEqual(status, 200, body)
        self.assertEqual(d.metric("handoff_config_last_reload_successful"), 1)
        self.assertGreater(d.metric("handoff_config_last_reload_success_timestamp_seconds"),
                           loaded_at)
        for name in ("handoff_sla_started_total", "handoff_sla_met_total",
                     "handoff_sla_breached_total"):
            self.assertEqual(d.metric(name, sla="accept_fast"), 0)
            self.assertEqual(len([l for l, _ in d.series(name) if l["sla"] == "accept_fast"]), 1)
        self.assertEqual(d.metric("handoff_sla_target_seconds", sla="accept_fast"), 1)
        self.assertIn('msg="config reload: this section needs a restart; keeping the running '
                      'values" section=kafka', d.log())
        # The new SLA works: a start opens both.
        self.kafka.produce("handoffs", [self.requested("order-1", now_rfc3339())])
        wait_for(lambda: d.metric("handoff_sla_started_total", sla="accept_fast") == 1, 20,
                 "the new SLA started")

        # Invalid: the old config keeps running, every error is logged.
        with open(self.config_path) as f:
            broken = f.read().replace('"lateness": "1s"', '"lateness": "soon"')
        with open(self.config_path, "w") as f:
            f.write(broken)
        status, body = d.post("/-/reload")
        self.assertEqual(status, 500, body)
        self.assertEqual(d.metric("handoff_config_last_reload_successful"), 0)
        self.assertIn('msg="config reload: invalid config"', d.log())
        self.assertEqual(d.metric("handoff_sla_target_seconds", sla="accept_fast"), 1)
        # SIGHUP takes the same path.
        d.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: d.log().count('msg="config reload: invalid config"') >= 2, 10,
                 "the SIGHUP reload")
        self.assertEqual(d.metric("handoff_config_last_reload_successful"), 0)
        self.assertEqual(d.stop(), 0)

    def test_a_reload_loads_the_file_off_the_engine_thread(self):
        # 800k list entries under an unknown key: parsing them takes seconds, then the
        # reload fails on the key. Meanwhile the engine thread answers /-/healthy at once.
        self.write_config()
        d = self.daemon("d")
        wait_for(d.ready, 20, "ready")
        with open(self.config_path) as f:
            config = json.load(f)
        config["padding"] = list(range(800_000))
        with open(self.config_path, "w") as f:
            json.dump(config, f)
        started = time.monotonic()
        d.proc.send_signal(signal.SIGHUP)
        slowest = 0.0
        while 'msg="config reload: invalid config"' not in d.log():
            self.assertLess(time.monotonic() - started, 120, "the reload never finished")
            asked = time.monotonic()
            status, _ = d.get("/-/healthy")
            self.assertEqual(status, 200)
            slowest = max(slowest, time.monotonic() - asked)
        loading = time.monotonic() - started
        print(f"\nreload took {loading:.2f} s; slowest /-/healthy meanwhile {slowest * 1000:.1f} ms",
              file=sys.stderr)
        self.assertGreater(loading, 1.0, "the file loaded too fast for this test to show anything")
        self.assertLess(slowest, 0.5)
        self.assertIn("padding: unknown key", d.log())
        self.assertEqual(d.metric("handoff_config_last_reload_successful"), 0)
        self.assertEqual(d.stop(), 0)

    def test_reload_without_lifecycle_flag_is_refused(self):
        self.write_config()
        d = self.daemon("d")
        self.assertEqual(d.post("/-/reload")[0], 403)
        self.assertEqual(d.stop(), 0)

    def test_restart_keeps_an_open_instance_which_breaches_on_time(self):
        self.write_config(slas=(("accept", "12s"),))
        a = self.daemon("a")
        wait_for(a.ready, 20, "a ready")
        self.kafka.produce("handoffs", [self.requested("order-9", now_rfc3339())])
        produced_at = time.time()

        def instance(d):
            status, body = d.get("/api/v1/instances?sla=accept")
            self.assertEqual(status, 200, body)
            items = [i for i in json.loads(body)["instances"] if i["key"] == "order-9"]
            return items[0] if items else None

        before = wait_for(lambda: instance(a), 20, "the instance opened")
        self.assertEqual(a.stop(), 0)
        self.assertTrue(os.listdir(self.checkpoint_dir))

        b = self.daemon("b")
        wait_for(b.ready, 20, "b ready")
        after = instance(b)
        self.assertIsNotNone(after, b.log())
        self.assertEqual(after["started_at"], before["started_at"])
        self.assertEqual(after["deadline"], before["deadline"])
        self.assertIn('msg="partition restored from checkpoint"', b.log())
        # Nothing was re-read: the restored engine started no instance of its own.
        self.assertEqual(b.metric("handoff_sla_started_total"), 0)
        wait_for(lambda: b.metric("handoff_sla_breached_total") == 1, 25, "the breach")
        # On time: deadline + lateness + idle detection, not later.
        self.assertLess(time.time() - produced_at, 12 + 1 + 5)
        self.assertEqual(instance(b)["state"], "overdue")
        def decisions():
            text = self.kafka.consume("decisions", "%s\\n")
            return [json.loads(line) for line in text.splitlines() if line.strip()]
        breached = wait_for(decisions, 10, "the breach on the decisions topic")
        self.assertEqual([e["id"] for e in breached], ["accept/order-9/1/breached"])
        self.assertEqual(b.stop(), 0)

    def test_a_checkpoint_taken_before_the_first_record_names_where_the_partition_starts(self):
        """A member's first checkpoint of a partition may come before it read any record
        of it. It must still name the offset the partition's state starts at: without one,
        the next start would begin at the committed offset, which auto-commit may have
        moved past records no checkpoint holds. Here another process of the group commits
        them, standing in for the member's own auto-commit just before a kill -9."""
        self.write_config(slas=(("accept", "1h"),))
        a = self.daemon("a")
        checkpoints = {"partition-0.ckpt", "partition-1.ckpt"}
        wait_for(lambda: checkpoints <= set(os.listdir(self.checkpoint_dir)), 20,
                 "a's first checkpoints, of partitions with no record yet")
        a.proc.send_signal(signal.SIGKILL)
        a.proc.wait(timeout=10)
        keys = [f"order-{i}" for i in range(10)]
        self.kafka.produce("handoffs", [self.requested(key, now_rfc3339()) for key in keys])

        committer_config = os.path.join(self.workdir, "committer.yaml")
        write_config(committer_config, self.kafka.brokers, os.path.join(self.workdir, "other"),
                     group="itest", properties={**QUICK_RECONNECT, "session.timeout.ms": "6000"})
        committer = Handoffd(self.procs, self.workdir, "committer", committer_config)
        wait_for(lambda: committer.metric("handoff_sla_started_total") == len(keys), 20,
                 "the committer read every record")
        self.assertEqual(committer.stop(), 0)  # and committed their offsets on the way out

        b = self.daemon("b")
        wait_for(lambda: b.log().count('msg="partition restored from checkpoint"') == 2, 20,
                 "b restored both partitions from a's checkpoints")
        wait_for(lambda: b.metric("handoff_sla_started_total") == len(keys), 20,
                 "b read the records its checkpoint never saw")
        self.assertEqual(b.stop(), 0)

    def test_a_day_old_backlog_produced_after_the_assignment_is_not_late(self):
        """Rule 2: a partition is idle from its last event or its assignment, whichever is
        later. With idle_timeout 24h, a day-old stream produced just after the member
        became ready is applied in time, not as late at wall clock - lateness."""
        self.write_config(slas=(("accept", "1h"),))
        with open(self.config_path) as f:
            config = json.load(f)
        config["time"]["idle_timeout"] = "24h"
        with open(self.config_path, "w") as f:
            json.dump(config, f)
        a = self.daemon("a")
        wait_for(a.ready, 20, "a ready")
        # The wall-clock frontier is checked every second: let a few checks pass on the
        # empty, caught-up partitions, as a backlog arriving a moment later would.
        time.sleep(2.5)
        day_ago = time.time() - 86400
        stream = []  # (time, record), produced in time order as lateness is 1 s
        for i in range(40):
            key = f"order-{i}"
            stream.append((day_ago + 60 * i, self.requested(key, rfc3339(day_ago + 60 * i))))
            stream.append((day_ago + 60 * i + 600,
                           f"{key}|" + cloud_event(f"{key}-accepted", "handoff.accepted", key,
                                                   rfc3339(day_ago + 60 * i + 600),
                                                   **{"from": "sales", "to": "operations"})))
        self.kafka.produce("handoffs", [record for _, record in sorted(stream)])
        wait_for(lambda: a.metric("handoff_events_consumed_total") == 80, 20, "every event read")
        wait_for(lambda: a.metric("handoff_sla_met_total") >= 30, 20, "the mets")
        self.assertEqual(a.metric("handoff_events_late_total"), 0)
        self.assertEqual(a.metric("handoff_sla_breached_total"), 0)
        self.assertEqual(a.stop(), 0)

    def test_a_decision_the_producer_gives_up_on_exits_2_and_the_restart_sends_it(self):
        # The broker refuses the breach decision with an error no retry fixes, as after a
        # long outage of the decisions topic. No checkpoint may then cover that decision:
        # the daemon exits 2 for its supervisor to restart it, and the restart decides the
        # breach again from the last checkpoint and sends it.
        self.write_config(slas=(("accept", "3s"),))
        a = self.daemon("a")
        wait_for(a.ready, 20, "a ready")
        self.kafka.produce("handoffs", [self.requested("order-5", now_rfc3339())])

        def decision_ids():
            text = self.kafka.consume("decisions", "%s\\n")
            return {json.loads(line)["id"] for line in text.splitlines() if line.strip()}
        wait_for(lambda: a.metric("handoff_sla_started_total") == 1, 20, "the instance opened")
        self.kafka.fail_next_produce()  # the breach's, 3 s after the start: the first one
        try:
            code = a.proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            self.fail("handoffd did not exit after losing a decision:\n" + a.log()[-3000:])
        self.assertEqual(code, 2, a.log()[-3000:])
        self.assertIn("a decision was not delivered to the decisions topic", a.log())
        self.assertIn("msg=stopped exit_code=2", a.log())
        self.assertEqual(decision_ids(), set())

        b = self.daemon("b")
        wait_for(b.ready, 30, "b ready")
        self.assertIn('msg="partition restored from checkpoint"', b.log())
        wait_for(decision_ids, 30, "the breach sent after the restart")
        self.assertEqual(decision_ids(), {"accept/order-5/1/breached"})
        self.assertEqual(b.metric("handoff_sla_started_total"), 0)  # restored, not re-read
        self.assertEqual(b.stop(), 0)

if __name__ == "__main__":
    unittest.main()

#!/usr/bin/env python3
"""Process-level tests of handoffd's Kafka ingestion (issue #6).

Each test starts tests/tools/mock_kafka (librdkafka's mock cluster as a process) and the
real handoffd binary on 127.0.0.1 with a free HTTP port, produces CloudEvents with kcat,
and reads the results back from /metrics, /-/ready and /api/v1/instances. Every wait
polls a condition against a deadline; every process started is killed on the way out,
also when a test fails. The helpers are tests/support/handoff_testing.py's.

Environment: HANDOFFD and MOCK_KAFKA name the binaries (ctest sets them).
"""

import json
import os
import signal
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from handoff_testing import (KCAT, QUICK_RECONNECT, Handoffd, MockKafkaTestCase, cloud_event,
                             now_rfc3339, wait_for, write_config)


class KafkaIngestionTest(MockKafkaTestCase):
    TOPICS = ["orders:4", "handoffs:4", "handoff.rejected:1"]

    def handoffd(self, name, target="3s", session_timeout_ms=45000):
        """A handoffd reading orders and handoffs, dead-lettering to handoff.rejected, with
        one sales -> operations SLA of `target`."""
        config_path = os.path.join(self.workdir, f"{name}.yaml")
        write_config(config_path, self.kafka.brokers,
                     os.path.join(self.workdir, f"{name}-checkpoints"),
                     slas=(("accept", target),), topics=("orders", "handoffs"),
                     dead_letter_topic="handoff.rejected",
                     properties={**QUICK_RECONNECT, "session.timeout.ms": str(session_timeout_ms)})
        return Handoffd(self.procs, self.workdir, name, config_path)

    def orders(self, first, count, types=("handoff.requested", "handoff.accepted")):
        """`count` orders, each with the given handoff events (sales -> operations)."""
        lines = []
        t = now_rfc3339()
        for i in range(first, first + count):
            key = f"order-{i}"
            for type_ in types:
                lines.append(f"{key}|" + cloud_event(f"{key}-{type_}", type_, key, t,
                                                     **{"from": "sales", "to": "operations"}))
        return lines

    def test_two_members_split_partitions_and_count_every_event_once(self):
        # The mock coordinator waits session.timeout.ms - 1 s for the members to rejoin
        # when one joins a stable group (librdkafka 2.0.2): keep it short here.
        a = self.handoffd("a", session_timeout_ms=6000)
        wait_for(a.ready, 20, "a ready")
        b = self.handoffd("b", session_timeout_ms=6000)
        wait_for(b.ready, 20, "b ready")
        # After b joined, a was given a smaller share: both now hold disjoint partitions.
        wait_for(lambda: len(a.assignments()) >= 2 and a.ready(), 20, "a rebalanced")
        share_a = set(a.assignments()[-1].split(","))
        share_b = set(b.assignments()[-1].split(","))
        self.assertTrue(share_a and share_b)
        self.assertFalse(share_a & share_b, "a partition assigned to both members")
        self.assertEqual(len(share_a | share_b), 8)

        self.kafka.produce("handoffs", self.orders(0, 200))
        total = lambda: sum(p.metric("handoff_events_consumed_total") for p in (a, b))
        wait_for(lambda: total() == 400, 30, "400 records consumed in total")
        wait_for(lambda: sum(p.metric("handoff_sla_met_total") for p in (a, b)) == 200, 20,
                 "200 handoffs met")
        self.assertGreater(a.metric("handoff_events_consumed_total"), 0)
        self.assertGreater(b.metric("handoff_events_consumed_total"), 0)
        self.assertEqual(sum(p.metric("handoff_sla_started_total") for p in (a, b)), 200)
        self.assertEqual(sum(p.metric("handoff_events_duplicate_total") for p in (a, b)), 0)
        self.assertEqual(total(), 400)  # and nothing counted twice since

    def test_malformed_record_is_counted_dead_lettered_and_good_ones_decided(self):
        d = self.handoffd("d")
        wait_for(d.ready, 20, "ready")
        t = now_rfc3339()
        ops = {"from": "sales", "to": "operations"}
        self.kafka.produce("handoffs", [
            "order-1|" + cloud_event("e1", "handoff.requested", "order-1", t, **ops),
            "order-1|this is not json",
            "order-1|" + cloud_event("e2", "handoff.accepted", "order-1", t, **ops),
        ])
        # Binary mode: the context attributes in ce_* headers, only the data in the value.
        self.kafka.produce("handoffs", ["order-2|" + json.dumps(ops)], headers=[
            ("ce_specversion", "1.0"), ("ce_id", "e3"), ("ce_source", "/itest"),
            ("ce_type", "handoff.requested"), ("ce_time", t), ("ce_subject", "order-2"),
            ("content-type", "application/json")])
        self.kafka.produce("handoffs", [
            "order-2|" + cloud_event("e4", "handoff.accepted", "order-2", t, **ops)])

        wait_for(lambda: d.metric("handoff_events_consumed_total") == 5, 20, "5 records consumed")
        wait_for(lambda: d.metric("handoff_sla_met_total") == 2, 20, "both orders met")
        self.assertEqual(d.metric("handoff_events_rejected_total", reason="not_json"), 1)
        self.assertEqual(d.metric("handoff_events_rejected_total"), 1)

        dead = wait_for(lambda: self.kafka.consume("handoff.rejected", "%k %h %s\n").strip(),
                        20, "the dead letter")
        self.assertEqual(len(dead.splitlines()), 1, dead)
        self.assertIn("handoff-reject-reason=not_json", dead)
        self.assertIn("handoff-original-topic=handoffs", dead)
        self.assertIn("handoff-original-offset=", dead)
        self.assertTrue(dead.startswith("order-1 ") and dead.endswith("this is not json"), dead)

    def test_event_from_the_future_is_rejected_and_never_moves_the_frontier(self):
        # Issue 15: one event dated 9999 moved the partition's frontier to year 9999 and
        # breached every open SLA. Now it is rejected (future_time) against the wall clock
        # at arrival, counted and dead-lettered.
        d = self.handoffd("d", target="1h")
        wait_for(d.ready, 20, "ready")
        ops = {"from": "sales", "to": "operations"}
        self.kafka.produce("handoffs", [
            "order-1|" + cloud_event("e1", "handoff.requested", "order-1", now_rfc3339(), **ops),
            "order-1|" + cloud_event("e2", "order.note", "order-1", "9999-12-31T00:00:00Z"),
            "order-1|" + cloud_event("e3", "order.note", "order-1", "2030-01-01T00:00:00Z"),
        ], partition=0)
        wait_for(lambda: d.metric("handoff_events_consumed_total") == 3, 20, "3 records consumed")
        self.assertEqual(d.metric("handoff_events_rejected_total", reason="future_time"), 2)
        wait_for(lambda: d.metric("handoff_sla_started_total") == 1, 20, "the handoff started")
        time.sleep(2)  # lateness and idle_timeout are 1 s: a moved frontier would show
        self.assertEqual(d.metric("handoff_sla_breached_total"), 0)
        self.assertEqual(d.metric("handoff_sla_max_overdue_seconds"), 0)
        dead = wait_for(lambda: self.kafka.consume("handoff.rejected", "%h\n").strip(),
                        20, "the dead letters")
        self.assertEqual(dead.count("handoff-reject-reason=future_time"), 2, dead)

    def test_broker_outage_is_survived_without_losing_events_and_shows_in_ready(self):
        # A long target: this test is about every record arriving once, not about timing.
        d = self.handoffd("d", target="1h")
        wait_for(d.ready, 20, "ready")
        self.kafka.produce("handoffs", self.orders(0, 10, types=("handoff.requested",)))
        wait_for(lambda: d.metric("handoff_events_consumed_total") == 10, 20, "10 consumed")

        self.kafka.down()
        outage_start = time.monotonic()
        wait_for(lambda: not d.ready(), 15, "/-/ready to turn 503 during the outage")
        # Produced during the outage: kcat (-E: not giving up when every broker is down)
        # delivers them once the broker is back.
        late_producer = subprocess.Popen(
            [KCAT, "-E", "-P", "-b", self.kafka.brokers, "-t", "handoffs", "-K", "|"],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.addCleanup(lambda: late_producer.poll() is None and late_producer.kill())
        accepted = self.orders(0, 10, types=("handoff.accepted",))
        late_producer.stdin.write("".join(line + "\n" for line in accepted).encode())
        late_producer.stdin.close()
        # The outage lasts 10 s; the daemon must stay up and keep reporting not-ready.
        while time.monotonic() - outage_start < 10:
            self.assertIsNone(d.proc.poll(), "handoffd exited during the outage")
            self.assertFalse(d.ready())
            time.sleep(0.5)
        self.kafka.up()

        wait_for(d.ready, 30, "/-/ready to turn 200 after the outage")
        late_producer.wait(timeout=30)
        wait_for(lambda: d.metric("handoff_events_consumed_total") == 20, 30, "all 20 consumed")
        wait_for(lambda: d.metric("handoff_sla_met_total") == 10, 20, "10 handoffs met")
        self.assertEqual(d.metric("handoff_events_duplicate_total"), 0)
        self.assertIsNone(d.proc.poll())

    def test_stop_with_the_broker_gone_finishes_within_systemds_stop_timeout(self):
        # librdkafka alone waits ~45 s for an unreachable group coordinator when the
        # consumer closes; the shipped unit and pod allow 30 s before SIGKILL.
        d = self.handoffd("d", target="1h")
        wait_for(d.ready, 20, "ready")
        self.kafka.produce("handoffs", self.orders(0, 5, types=("handoff.requested",)))
        wait_for(lambda: d.metric("handoff_events_consumed_total") == 5, 20, "5 consumed")
        self.kafka.down()
        wait_for(lambda: not d.ready(), 15, "/-/ready to turn 503")
        stop_start = time.monotonic()
        d.proc.send_signal(signal.SIGTERM)
        try:
            d.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.fail("handoffd still running 30 s after SIGTERM:\n" + d.log()[-3000:])
        self.assertLess(time.monotonic() - stop_start, 20, "shutdown took too long")
        self.assertEqual(d.proc.returncode, 0, d.log()[-2000:])
        self.assertIn("msg=stopped exit_code=0", d.log())

    def test_stop_while_records_are_in_flight_exits_cleanly(self):
        # Issue 15: SIGTERM with fetched records still queued in librdkafka aborted in
        # rd_kafka_q_serve ("assert: res != RD_KAFKA_OP_RES_PASS"): leaving the group
        # forwards the consumer queue, fetched records and partition-EOF events included,
        # to the close queue, and rd_kafka_queue_poll_callback cannot serve those. Here
        # the engine is the bottleneck (every record starts 40 SLAs) and the backlog is
        # larger than the mailbox, so records are certain to be queued at the stop.
        config_path = os.path.join(self.workdir, "d.yaml")
        write_config(config_path, self.kafka.brokers, os.path.join(self.workdir, "d-ckpt"),
                     slas=[(f"accept_{i}", "1h") for i in range(40)],
                     topics=("orders", "handoffs"), properties=QUICK_RECONNECT)
        for topic in ("orders", "handoffs"):
            self.kafka.produce(topic, self.orders(0, 60000, types=("handoff.requested",)))
        d = Handoffd(self.procs, self.workdir, "d", config_path)
        wait_for(lambda: d.metric("handoff_events_consumed_total") > 0, 30, "consuming")
        d.proc.send_signal(signal.SIGTERM)
        try:
            d.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.fail("handoffd still running 30 s after SIGTERM:\n" + d.log()[-3000:])
        self.assertEqual(d.proc.returncode, 0, d.log()[-3000:])
        self.assertIn("msg=stopped exit_code=0", d.log())

    def test_live_frontier_breaches_while_no_events_arrive(self):
        d = self.handoffd("d", target="2s")
        wait_for(d.ready, 20, "ready")
        self.kafka.produce("handoffs", self.orders(7, 1, types=("handoff.requested",)))
        wait_for(lambda: d.metric("handoff_sla_started_total") == 1, 20, "the handoff started")
        self.assertEqual(d.metric("handoff_sla_breached_total"), 0)
        # No further event: only the wall clock can move the frontier past the deadline.
        wait_for(lambda: d.metric("handoff_sla_breached_total") == 1, 15, "the breach")
        status, body = d.get("/api/v1/instances?state=overdue")
        self.assertEqual(status, 200)
        self.assertIn("order-7", body)
        self.assertEqual(d.metric("handoff_events_consumed_total"), 1)


if __name__ == "__main__":
    unittest.main()

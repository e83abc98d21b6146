#!/usr/bin/env python3
"""Process-level tests of handoffd's Kafka ingestion (issue #6).

Each test starts tests/tools/mock_kafka (librdkafka's mock cluster as a process) and the
real handoffd binary on 127.0.0.1 with a free HTTP port, produces CloudEvents with kcat,
and reads the results back from /metrics, /-/ready and /api/v1/instances. Every wait
polls a condition against a deadline; every process started is killed on the way out,
also when a test fails.

Environment: HANDOFFD and MOCK_KAFKA name the binaries (ctest sets them).
"""

import datetime
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import unittest
import urllib.error
import urllib.request

HANDOFFD = os.environ.get("HANDOFFD", "build/daemon/handoffd")
MOCK_KAFKA = os.environ.get("MOCK_KAFKA", "build/tests/tools/mock_kafka")
KCAT = shutil.which("kcat") or "kcat"

CONFIG = """\
kafka:
  brokers: {brokers}
  group_id: {group}
  topics: [orders, handoffs]
  dead_letter_topic: handoff.rejected
  properties:
    reconnect.backoff.max.ms: "1000"
    session.timeout.ms: "{session_timeout_ms}"
events:
  format: cloudevents
  attributes:
    from: /data/from
    to: /data/to
time:
  lateness: 1s
  idle_timeout: 1s
slas:
  - name: accept
    from: sales
    to: operations
    start: {{ type: handoff.requested, where: {{ from: sales, to: operations }} }}
    stop:  {{ type: handoff.accepted }}
    target: {target}
checkpoint:
  dir: {checkpoint_dir}
web:
  listen_address: "127.0.0.1:0"
"""


def wait_for(condition, timeout, what, interval=0.1):
    """Polls `condition` until it returns a truthy value; fails the test at the deadline."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = condition()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


def now_rfc3339(offset_s=0.0):
    t = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=offset_s)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def cloud_event(event_id, type_, key, time_, **data):
    return json.dumps({"specversion": "1.0", "id": event_id, "source": "/itest", "type": type_,
                       "time": time_, "subject": key, "data": data}, separators=(",", ":"))


def parse_metrics(text):
    """Prometheus text format -> list of (name, {label: value}, float)."""
    series = []
    pattern = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)')
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = pattern.match(line)
        if not m:
            continue
        labels = dict(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"', m.group(2) or ""))
        series.append((m.group(1), labels, float(m.group(3))))
    return series


class Processes:
    """Starts processes and kills every one of them at cleanup, whatever happened."""

    def __init__(self, test):
        self.procs = []
        test.addCleanup(self.kill_all)

    def start(self, args, log_path):
        log = open(log_path, "wb")
        proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)
        log.close()
        self.procs.append(proc)
        return proc

    def kill_all(self):
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
        for proc in self.procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass


class MockKafka:
    def __init__(self, procs, workdir, topics):
        self.bootstrap_file = os.path.join(workdir, "bootstrap")
        args = [MOCK_KAFKA, "--bootstrap-file", self.bootstrap_file]
        for topic in topics:
            args += ["--topic", topic]
        self.proc = procs.start(args, os.path.join(workdir, "mock_kafka.log"))
        wait_for(lambda: os.path.exists(self.bootstrap_file), 10, "mock_kafka's bootstrap file")
        with open(self.bootstrap_file) as f:
            self.brokers = f.read().strip()

    def down(self):
        self.proc.send_signal(signal.SIGUSR1)

    def up(self):
        self.proc.send_signal(signal.SIGUSR2)

    def produce(self, topic, lines, headers=()):
        """Produces `key|value` lines (one record each) with kcat; waits for delivery."""
        args = [KCAT, "-P", "-b", self.brokers, "-t", topic, "-K", "|"]
        for name, value in headers:
            args += ["-H", f"{name}={value}"]
        subprocess.run(args, input="".join(line + "\n" for line in lines).encode(),
                       check=True, timeout=60)

    def consume(self, topic, fmt):
        result = subprocess.run([KCAT, "-C", "-b", self.brokers, "-t", topic, "-o", "beginning",
                                 "-e", "-q", "-f", fmt],
                                capture_output=True, check=True, timeout=30)
        return result.stdout.decode()


class Handoffd:
    def __init__(self, procs, workdir, name, brokers, group="itest", target="3s",
                 session_timeout_ms=45000):
        self.log_path = os.path.join(workdir, f"{name}.log")
        config_path = os.path.join(workdir, f"{name}.yaml")
        with open(config_path, "w") as f:
            f.write(CONFIG.format(brokers=brokers, group=group, target=target,
                                  session_timeout_ms=session_timeout_ms,
                                  checkpoint_dir=os.path.join(workdir, f"{name}-checkpoints")))
        self.proc = procs.start([HANDOFFD, "run", "--config", config_path], self.log_path)
        port = wait_for(self._port, 10, f"{name} to log its HTTP port")
        self.url = f"http://127.0.0.1:{port}"

    def log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def _port(self):
        if self.proc.poll() is not None:
            raise AssertionError(f"handoffd exited with {self.proc.returncode}:\n{self.log()}")
        m = re.search(r"msg=listening address=\S*:(\d+)", self.log())
        return m and m.group(1)

    def get(self, path):
        try:
            with urllib.request.urlopen(self.url + path, timeout=5) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def ready(self):
        return self.get("/-/ready")[0] == 200

    def metric(self, name, **labels):
        """Sum of the series of `name` whose labels include `labels`."""
        status, text = self.get("/metrics")
        assert status == 200, status
        return sum(value for n, l, value in parse_metrics(text)
                   if n == name and all(l.get(k) == v for k, v in labels.items()))

    def assignments(self):
        """The partition lists this process was assigned, in order."""
        return re.findall(r'msg="kafka partitions assigned" partitions=(\S*)', self.log())


class KafkaIngestionTest(unittest.TestCase):
    def setUp(self):
        self.workdir = tempfile.mkdtemp(prefix="handoff-itest-")
        self.addCleanup(shutil.rmtree, self.workdir, True)
        self.procs = Processes(self)
        self.kafka = MockKafka(self.procs, self.workdir,
                               ["orders:4", "handoffs:4", "handoff.rejected:1"])
        self.addCleanup(self._dump_logs_on_failure)

    def _dump_logs_on_failure(self):
        outcome = getattr(self, "_outcome", None)
        errors = getattr(getattr(outcome, "result", None), "errors", []) + \
            getattr(getattr(outcome, "result", None), "failures", [])
        if any(test is self for test, _ in errors):
            for name in sorted(os.listdir(self.workdir)):
                if name.endswith(".log"):
                    with open(os.path.join(self.workdir, name), errors="replace") as f:
                        print(f"----- {name} (last lines)\n" + "".join(f.readlines()[-40:]))

    def handoffd(self, name, **kwargs):
        return Handoffd(self.procs, self.workdir, name, self.kafka.brokers, **kwargs)

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

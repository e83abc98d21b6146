"""What the process-level tests and bench/breach_latency.py share: start the real handoffd
and tests/tools/mock_kafka, write the daemon's config, produce and consume with kcat,
read /metrics, and wait on conditions.

Every wait polls a condition against a deadline and raises AssertionError at it; every
process started through Processes is ended by the caller's cleanup, and, where setpriv is
installed, by the kernel if the Python process dies first. Python 3 standard library only.

Environment: HANDOFFD, MOCK_KAFKA and KCAT name the binaries (ctest sets the first two).
The scripts import this file by adding its folder to sys.path, relative to their own.
"""

import atexit
import datetime
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request

HANDOFFD = os.environ.get("HANDOFFD", "build/daemon/handoffd")
MOCK_KAFKA = os.environ.get("MOCK_KAFKA", "build/tests/tools/mock_kafka")
KCAT = os.environ.get("KCAT") or shutil.which("kcat") or "kcat"
SETPRIV = shutil.which("setpriv")

# librdkafka retries a broker every second at most, so a test sees reconnects quickly.
QUICK_RECONNECT = {"reconnect.backoff.max.ms": "1000"}


def wait_for(condition, timeout, what, interval=0.1):
    """Polls `condition` until it returns a truthy value and returns it; raises
    AssertionError at the deadline."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = condition()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


def rfc3339(t):
    """An aware datetime, or seconds since the epoch -> RFC 3339 in UTC with milliseconds."""
    if not isinstance(t, datetime.datetime):
        t = datetime.datetime.fromtimestamp(t, datetime.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def now_rfc3339():
    return rfc3339(datetime.datetime.now(datetime.timezone.utc))


def cloud_event(event_id, type_, key, time_, *, source="/itest", **data):
    """A structured-mode CloudEvent as compact JSON; `data` becomes its data object."""
    return json.dumps({"specversion": "1.0", "id": event_id, "source": source, "type": type_,
                       "time": time_, "subject": key, "data": data}, separators=(",", ":"))


_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)')
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_metrics(text, name=None):
    """Prometheus text format -> list of (name, {label: value}, float); only the series of
    `name` when given."""
    series = []
    for line in text.splitlines():
        if not line or line.startswith("#") or (name and not line.startswith(name)):
            continue
        m = _SAMPLE.match(line)
        if not m or (name and m.group(1) != name):
            continue
        series.append((m.group(1), dict(_LABEL.findall(m.group(2) or "")), float(m.group(3))))
    return series


def metric_sum(text, name, **labels):
    """Sum of the series of `name` whose labels include `labels` (0 when there is none)."""
    return sum(value for _, found, value in parse_metrics(text, name)
               if all(found.get(k) == v for k, v in labels.items()))


def fetch(url, *, data=None, timeout=5, unreachable_ok=False):
    """(status, body) of a GET, or of a POST of `data`; an HTTP error status is returned
    like any other. When nothing answers: (0, "") if `unreachable_ok`, else it raises."""
    request = urllib.request.Request(url, data=data, method="POST" if data is not None else "GET")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    except (urllib.error.URLError, ConnectionError, TimeoutError, socket.timeout):
        if unreachable_ok:
            return 0, ""
        raise


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tail(path, lines=40):
    """The last `lines` lines of a file, or why it could not be read."""
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError as e:
        return f"({e})"


def log_tails(paths, lines=40):
    return "\n".join(f"----- {os.path.basename(p)} (last lines)\n{tail(p, lines)}" for p in paths)


class Processes:
    """Starts processes, each with its output in a log file; kill_all() or stop_all() ends
    every one of them. At exit stop_all() runs as a backstop.

    Each child also gets SIGKILL from the kernel if this process dies first (setpriv
    --pdeathsig, when installed), so even a runner killed by ctest's timeout leaves none.
    """

    def __init__(self):
        self.procs = []
        atexit.register(self.stop_all)

    def start(self, args, log_path, env=None):
        """`env` is added to this process' environment."""
        if SETPRIV:
            args = [SETPRIV, "--pdeathsig", "KILL", "--"] + list(args)
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL,
                                    env={**os.environ, **env} if env else None)
        self.procs.append(proc)
        return proc

    def kill_all(self):
        """SIGKILL to every process still running, then waits for them."""
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
        for proc in self.procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass

    def stop_all(self, grace=5):
        """SIGTERM, then SIGKILL after `grace` seconds, in reverse start order: a handoffd
        leaves its consumer group before the Kafka it was started after is gone (its
        consumer close can block for the session timeout otherwise)."""
        for proc in reversed(self.procs):
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=grace)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=10)


class MockKafka:
    """tests/tools/mock_kafka (librdkafka's mock cluster) with `topics` ("name:partitions");
    produces and consumes with kcat."""

    def __init__(self, procs, workdir, topics):
        bootstrap_file = os.path.join(workdir, "bootstrap")
        args = [MOCK_KAFKA, "--bootstrap-file", bootstrap_file]
        for topic in topics:
            args += ["--topic", topic]
        self.proc = procs.start(args, os.path.join(workdir, "mock_kafka.log"))

        def brokers():
            if not os.path.exists(bootstrap_file):
                return None
            with open(bootstrap_file) as f:
                return f.read().strip()
        self.brokers = wait_for(brokers, 10, "mock_kafka's bootstrap file")

    def down(self):
        """Every broker stops answering (until up())."""
        self.proc.send_signal(signal.SIGUSR1)

    def up(self):
        self.proc.send_signal(signal.SIGUSR2)

    def fail_next_produce(self):
        """The next produce request, from any client, fails for good."""
        self.proc.send_signal(signal.SIGHUP)

    def produce(self, topic, lines, headers=(), partition=None, properties=None, timeout=60):
        """Produces `key|value` lines (one record each) with kcat; waits for delivery.
        `properties` are librdkafka producer settings."""
        args = [KCAT, "-P", "-b", self.brokers, "-t", topic, "-K", "|"]
        if partition is not None:
            args += ["-p", str(partition)]
        for name, value in (properties or {}).items():
            args += ["-X", f"{name}={value}"]
        for name, value in headers:
            args += ["-H", f"{name}={value}"]
        subprocess.run(args, input="".join(line + "\n" for line in lines).encode(),
                       check=True, timeout=timeout)

    def consume(self, topic, fmt, timeout=30):
        """Every record of `topic` so far, formatted by kcat's -f `fmt`."""
        result = subprocess.run([KCAT, "-C", "-b", self.brokers, "-t", topic, "-o", "beginning",
                                 "-e", "-q", "-f", fmt],
                                capture_output=True, check=True, timeout=timeout)
        return result.stdout.decode()


def sla(name, target, from_="sales", to="operations", owner=None, stop_where=None,
        warn_at=None):
    """One SLA of the config: started by handoff.requested from `from_` to `to`, stopped by
    handoff.accepted (where `stop_where`, if given)."""
    out = {"name": name, "from": from_, "to": to}
    if owner:
        out["owner"] = owner
    out["start"] = {"type": "handoff.requested", "where": {"from": from_, "to": to}}
    out["stop"] = {"type": "handoff.accepted"}
    if stop_where:
        out["stop"]["where"] = stop_where
    out["target"] = target
    if warn_at:
        out["warn_at"] = list(warn_at)
    return out


def write_config(path, brokers, checkpoint_dir, *, slas=(("accept", "3s"),), group="itest",
                 topics=("handoffs",), properties=None, interval=None, state_topic=None,
                 **kafka):
    """Writes handoffd's config as JSON (which is YAML): CloudEvents with the departments in
    /data/from and /data/to, 1 s lateness and idle timeout, the HTTP server on a port the
    kernel picks. `slas`: sla() dicts or (name, target) pairs (sales -> operations);
    `properties`: librdkafka's, none when None; `kafka`: further keys of the kafka section
    (dead_letter_topic, breach_topic); `interval`: the checkpoint interval; `state_topic`:
    checkpoints in that topic (checkpoint.store: kafka) instead of `checkpoint_dir`."""
    kafka_section = {"brokers": brokers, "group_id": group, "topics": list(topics), **kafka}
    if properties:
        kafka_section["properties"] = dict(properties)
    checkpoint = ({"store": "kafka", "topic": state_topic} if state_topic
                  else {"dir": checkpoint_dir})
    if interval:
        checkpoint["interval"] = interval
    config = {
        "kafka": kafka_section,
        "events": {"format": "cloudevents",
                   "attributes": {"from": "/data/from", "to": "/data/to"}},
        "time": {"lateness": "1s", "idle_timeout": "1s"},
        "slas": [s if isinstance(s, dict) else sla(*s) for s in slas],
        "checkpoint": checkpoint,
        "web": {"listen_address": "127.0.0.1:0"},
    }
    with open(path, "w") as f:
        json.dump(config, f, indent=2)


class Handoffd:
    """One `handoffd run` process, its log (<workdir>/<name>.log) and its HTTP address: the
    port it logs once listening. `env` is added to this process' environment."""

    def __init__(self, procs, workdir, name, config_path, env=None, args=(), port_timeout=10):
        self.name = name
        self.log_path = os.path.join(workdir, f"{name}.log")
        self.proc = procs.start([HANDOFFD, "run", "--config", config_path, *args],
                                self.log_path, env=env)
        self.last_scrape = ""
        self.port = int(wait_for(self._port, port_timeout, f"{name} to log its HTTP port"))
        self.url = f"http://127.0.0.1:{self.port}"

    def log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def _check_running(self):
        if self.proc.poll() is not None:
            raise AssertionError(f"handoffd exited with {self.proc.returncode}:\n{self.log()}")

    def _port(self):
        self._check_running()
        m = re.search(r"msg=listening address=\S*:(\d+)", self.log())
        return m and m.group(1)

    def get(self, path):
        return fetch(self.url + path)

    def post(self, path):
        return fetch(self.url + path, data=b"", timeout=30)

    def ready(self):
        """/-/ready answers 200; raises if the process has exited."""
        self._check_running()
        return self.get("/-/ready")[0] == 200

    def scrape(self):
        """The /metrics text (kept in last_scrape for diagnostics)."""
        status, text = self.get("/metrics")
        assert status == 200, status
        self.last_scrape = text
        return text

    def metric(self, name, **labels):
        """Sum of the series of `name` whose labels include `labels` (0 when there is none)."""
        return metric_sum(self.scrape(), name, **labels)

    def series(self, name):
        """[(labels, value)] of every series of `name`."""
        return [(labels, value) for _, labels, value in parse_metrics(self.scrape(), name)]

    def assignments(self):
        """The partition lists this process was assigned, in order."""
        return re.findall(r'msg="kafka partitions assigned" partitions=(\S*)', self.log())

    def stop(self, timeout=30):
        """SIGTERM, then the exit code (within `timeout`)."""
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=timeout)


class MockKafkaTestCase(unittest.TestCase):
    """Each test gets a temporary directory (self.workdir), processes (self.procs) killed
    at cleanup, a MockKafka with TOPICS (self.kafka), and the tails of every log in the
    directory printed when it fails."""

    WORKDIR_PREFIX = "handoff-itest-"
    TOPICS = ()

    def setUp(self):
        self.workdir = tempfile.mkdtemp(prefix=self.WORKDIR_PREFIX)
        if os.environ.get("HANDOFF_KEEP_WORKDIR"):  # to read every log after a failure
            print(f"keeping {self.workdir}", file=sys.stderr)
        else:
            self.addCleanup(shutil.rmtree, self.workdir, True)
        self.procs = Processes()
        self.addCleanup(self.procs.kill_all)
        self.kafka = MockKafka(self.procs, self.workdir, self.TOPICS)
        self.addCleanup(self._dump_logs_on_failure)

    def _dump_logs_on_failure(self):
        result = getattr(getattr(self, "_outcome", None), "result", None)
        failed = getattr(result, "errors", []) + getattr(result, "failures", [])
        if any(test is self for test, _ in failed):
            print(log_tails(os.path.join(self.workdir, name)
                            for name in sorted(os.listdir(self.workdir)) if name.endswith(".log")))

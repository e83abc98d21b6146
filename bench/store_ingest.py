#!/usr/bin/env python3
"""Ingest with checkpoint.store: kafka against checkpoint.store: file (issue #17): the real
`handoffd run` reads the same backlog of N events from the mock cluster
(tests/tools/mock_kafka, over TCP) once with each store, both checkpointing every
CHECKPOINT_INTERVAL. The backlog is produced once, before the first run; each run joins a
fresh consumer group (and the Kafka store a fresh state topic, or it would restore the
previous run's state and skip the backlog), so each reads every partition from its start.

The stream: orders requested (sales -> operations, target 5 min) one every 100 ms of event
time, 80 % of them accepted 30 s to 10 min later (so about half of those breach first),
the rest never; sorted by time, ending an hour ago; every breach and stop is published to
a decisions topic, as a deployment would (a checkpoint waits for the decisions before it).

Per run: "ready" is when /-/ready first answers 200 (the first assignment restored: for the
Kafka store its claims written and the state topic read); then /metrics is scraped every
POLL_MS until handoff_events_consumed_total reaches N. A scrape's snapshot waits for the
engine thread's turn, so that scrape comes right after the last batch is applied. The rate
is N over the time from ready to that scrape; the CPU is utime + stime of /proc/PID/stat
over the same span (every thread); "rounds" counts the checkpoint rounds finished in it
(handoff_checkpoint_duration_seconds_count). Then the daemon is frozen (SIGSTOP) while the
store is read: the state topic's records, value bytes and committed snapshots (kcat; no
metric counts the bytes written to the state topic), or the checkpoint files' count and
size. The group join (~3 s on the mock) is the same for both stores and stays out of the
rate; the time from the start to ready is shown apart.

The runs alternate file, kafka, file, kafka, ... (--pairs pairs) to cancel drift; the ratios
are per pair, and the figures the medians over pairs.

The mock keeps ~5 MiB a partition and drops older records: --partitions (default 32 for
500k events; the state topics get as many) must spread the backlog thinner, which is
checked before and after producing.

Usage: HANDOFFD=build/daemon/handoffd MOCK_KAFKA=build/tests/tools/mock_kafka \\
       python3 bench/store_ingest.py [--events N] [--pairs P] [--partitions K]
Last line: one JSON object.
"""

import argparse
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

# The benchmark build unless told otherwise (bench/run always tells).
os.environ.setdefault("HANDOFFD", "build-bench/daemon/handoffd")
os.environ.setdefault("MOCK_KAFKA", "build-bench/tests/tools/mock_kafka")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "support"))
from handoff_testing import (KCAT, Handoffd, MockKafka, Processes, fetch, metric_sum, rfc3339,
                             tail, write_config)

CHECKPOINT_INTERVAL = "1s"
TARGET_S = 300
ORDER_STEP_S = 0.1
POLL_MS = 50
MOCK_PARTITION_BYTES = 4 * 1024 * 1024  # under the mock's ~5 MiB, with a margin
STATE_TOPIC = "handoff.state"


def event_line(key, type_, t):
    """One `key|CloudEvent` line, formatted by hand (hundreds of thousands are needed)."""
    return (f'{key}|{{"specversion":"1.0","id":"{key}-{type_}","source":"/bench",'
            f'"type":"{type_}","time":"{rfc3339(t)}","subject":"{key}",'
            '"data":{"from":"sales","to":"operations"}}')


def event_stream(n, seed=17):
    """n `key|value` lines sorted by event time (the shape of tests/integration/
    crash_test.py's event_stream, at bench size): each order is requested, 80 % are
    accepted 30 s to 2 x target later, the rest never. The last event lies an hour ago."""
    rnd = random.Random(seed)
    orders = n * 10 // 18 + 1000  # ~1.8 events per order, and a margin
    events = []
    for i in range(orders):
        start = i * ORDER_STEP_S
        events.append((start, i, "handoff.requested"))
        if rnd.random() < 0.8:
            events.append((start + rnd.uniform(30, 2 * TARGET_S), i, "handoff.accepted"))
    events.sort()
    del events[n:]
    if len(events) < n:
        raise AssertionError(f"generated {len(events)} events, not {n}")
    base = time.time() - 3600 - events[-1][0]
    return [event_line(f"order-{i:08d}", type_, base + t) for t, i, type_ in events]


def cpu_seconds(pid):
    """utime + stime of the process (every thread), in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def state_topic_contents(kafka, topic):
    """(records, value bytes, snapshots committed) in the state topic so far (tombstones
    count as records, with no bytes)."""
    text = kafka.consume(topic, "%S %k\\n", timeout=120)
    records = value_bytes = commits = 0
    for line in text.splitlines():
        size, _, key = line.partition(" ")
        records += 1
        value_bytes += max(0, int(size))
        commits += key.endswith("/commit") and int(size) > 0
    return records, value_bytes, commits


def checkpoint_files(path):
    """(files, bytes) of the file store's checkpoints."""
    if not os.path.isdir(path):
        return 0, 0
    sizes = [os.path.getsize(os.path.join(path, name)) for name in os.listdir(path)
             if name.endswith(".ckpt")]
    return len(sizes), sum(sizes)


def rounds(text):
    """Checkpoint rounds finished: handoff_checkpoint_duration_seconds has one observation
    per round (of every partition)."""
    return int(metric_sum(text, "handoff_checkpoint_duration_seconds_count"))


def one_run(procs, kafka, workdir, store, index, n, timeout):
    """Starts handoffd with `store`, waits until it consumed n events, stops it; returns the
    run's figures."""
    name = f"{store}-{index}"
    config = os.path.join(workdir, f"{name}.yaml")
    ckpt_dir = os.path.join(workdir, f"ckpt-{name}")
    state_topic = f"{STATE_TOPIC}.{index}"
    write_config(config, kafka.brokers, ckpt_dir, slas=(("accept", f"{TARGET_S}s"),),
                 group=f"store-ingest-{name}", topics=("orders",), breach_topic="decisions",
                 interval=CHECKPOINT_INTERVAL,
                 state_topic=state_topic if store == "kafka" else None)
    began = time.monotonic()
    daemon = Handoffd(procs, workdir, name, config, port_timeout=30)
    pid = daemon.proc.pid
    deadline = began + timeout

    def check(what):
        if daemon.proc.poll() is not None:
            raise AssertionError(f"handoffd ({store} store) exited with "
                                 f"{daemon.proc.returncode}:\n" + tail(daemon.log_path))
        if time.monotonic() > deadline:
            raise AssertionError(f"handoffd ({store} store): no {what} after {timeout} s\n"
                                 + tail(daemon.log_path))

    # Ready: the first assignment's partitions are restored (the Kafka store has written its
    # claims and read the state topic).
    while fetch(daemon.url + "/-/ready", timeout=10, unreachable_ok=True)[0] != 200:
        check("/-/ready")
        time.sleep(0.01)
    ready_at, ready_cpu = time.monotonic(), cpu_seconds(pid)
    ready_rounds = rounds(fetch(daemon.url + "/metrics", timeout=30)[1])

    # A scrape's snapshot waits for the engine thread's turn: while it applies a backlog it
    # answers after each turn, so the scrape that sees n comes right after the last batch.
    consumed = 0
    while consumed < n:
        check(f"{n} events consumed (last: {consumed:.0f}; a partition over the mock's ~5 MiB "
              "loses its oldest records: more --partitions?)")
        status, text = fetch(daemon.url + "/metrics", timeout=30, unreachable_ok=True)
        consumed = metric_sum(text, "handoff_events_consumed_total") if status == 200 else 0
        if consumed < n:
            time.sleep(POLL_MS / 1000)
    done_at, done_cpu = time.monotonic(), cpu_seconds(pid)
    done_rounds = rounds(text)
    result = {
        "store": store,
        "s": done_at - began,
        "startup_s": ready_at - began,
        "events_per_s": n / (done_at - ready_at),
        "cpu_s": done_cpu,
        "ingest_cpu_s": done_cpu - ready_cpu,
        "rounds_in_ingest": done_rounds - ready_rounds,
    }
    # What the store holds at that moment: the daemon is frozen while it is read (a write
    # already sent to the mock still lands).
    os.kill(pid, signal.SIGSTOP)
    try:
        if store == "kafka":
            result["state_records"], result["state_bytes"], result["state_snapshots"] = \
                state_topic_contents(kafka, state_topic)
        else:
            result["ckpt_files"], result["ckpt_bytes"] = checkpoint_files(ckpt_dir)
    finally:
        os.kill(pid, signal.SIGCONT)

    code = daemon.stop(timeout=60)
    if code != 0:
        raise AssertionError(f"handoffd ({store} store) exited with {code} at SIGTERM:\n"
                             + tail(daemon.log_path))
    shutil.rmtree(ckpt_dir, ignore_errors=True)
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=500000)
    parser.add_argument("--pairs", type=int, default=3, help="at least 2 to see the spread")
    parser.add_argument("--partitions", type=int, default=32,
                        help="of the input topic and each state topic")
    parser.add_argument("--timeout", type=float, default=300, help="seconds, per run")
    args = parser.parse_args()
    if args.pairs < 1 or args.events < 1:
        sys.exit("store_ingest: --pairs and --events must be at least 1")
    n, parts = args.events, args.partitions

    workdir = tempfile.mkdtemp(prefix="store_ingest.")
    procs = Processes()
    try:
        lines = event_stream(n)
        per_partition = sum(len(line) + 30 for line in lines) / parts  # + the record's overhead
        if per_partition > MOCK_PARTITION_BYTES:
            enough = int(parts * per_partition / MOCK_PARTITION_BYTES) + 1
            sys.exit(f"store_ingest: ~{per_partition / 2**20:.1f} MiB a partition is more than "
                     f"the mock keeps; use --partitions {enough} or more")
        topics = [f"orders:{parts}", f"decisions:{parts}"] + [
            f"{STATE_TOPIC}.{i}:{parts}" for i in range(args.pairs)]
        kafka = MockKafka(procs, workdir, topics)
        produce_began = time.monotonic()
        kafka.produce("orders", lines, timeout=600)
        print(f"produced {n} events to {parts} partitions in "
              f"{time.monotonic() - produce_began:.1f} s", file=sys.stderr)
        del lines
        for p in range(parts):  # nothing dropped: every partition still starts at offset 0
            out = subprocess.run([KCAT, "-C", "-b", kafka.brokers, "-t", "orders", "-p", str(p),
                                  "-o", "beginning", "-c", "1", "-e", "-q", "-f", "%o\\n"],
                                 capture_output=True, check=True, timeout=30).stdout.decode()
            if out.strip() not in ("", "0"):
                sys.exit(f"store_ingest: the mock dropped the oldest records of orders/{p} "
                         f"(first offset {out.strip()}); use more --partitions")

        def written(r):
            if r["store"] == "kafka":
                return (f"state topic: {r['state_bytes'] / 1e6:.2f} MB, {r['state_records']} records, "
                        f"{r['state_snapshots']} snapshots")
            return f"(checkpoint files: {r['ckpt_bytes'] / 1e6:.2f} MB, {r['ckpt_files']} partitions)"

        runs = []
        for i in range(args.pairs):
            for store in ("file", "kafka"):
                r = one_run(procs, kafka, workdir, store, i, n, args.timeout)
                runs.append(r)
                print(f"pair {i + 1} {store}: ready {r['startup_s']:.2f} s, {n} consumed "
                      f"{r['s']:.2f} s after the start, {r['events_per_s']:.0f} events/s, CPU "
                      f"{r['ingest_cpu_s']:.2f} s while ingesting ({r['cpu_s']:.2f} s in all), "
                      f"{r['rounds_in_ingest']} checkpoint rounds finished meanwhile; {written(r)}",
                      file=sys.stderr)

        file_runs = [r for r in runs if r["store"] == "file"]
        kafka_runs = [r for r in runs if r["store"] == "kafka"]

        def med(runs_, key):
            return statistics.median(r[key] for r in runs_)

        def ratios(key):
            return [k[key] / f[key] for f, k in zip(file_runs, kafka_runs)]
        result = {
            "store_ingest_events": n,
            "store_ingest_partitions": parts,
            "store_ingest_pairs": args.pairs,
            "store_ingest_checkpoint_interval_s": float(CHECKPOINT_INTERVAL.rstrip("s")),
            "store_ingest_file_events_per_s": round(med(file_runs, "events_per_s")),
            "store_ingest_kafka_events_per_s": round(med(kafka_runs, "events_per_s")),
            "store_ingest_kafka_vs_file": round(statistics.median(ratios("events_per_s")), 3),
            "store_ingest_file_cpu_ns_per_event": round(med(file_runs, "ingest_cpu_s") / n * 1e9),
            "store_ingest_kafka_cpu_ns_per_event": round(med(kafka_runs, "ingest_cpu_s") / n * 1e9),
            "store_ingest_kafka_vs_file_cpu": round(statistics.median(ratios("ingest_cpu_s")), 3),
            "store_ingest_file_s": round(med(file_runs, "s"), 2),
            "store_ingest_kafka_s": round(med(kafka_runs, "s"), 2),
            "store_ingest_file_startup_s": round(med(file_runs, "startup_s"), 2),
            "store_ingest_kafka_startup_s": round(med(kafka_runs, "startup_s"), 2),
            "store_ingest_file_cpu_s": round(med(file_runs, "cpu_s"), 2),
            "store_ingest_kafka_cpu_s": round(med(kafka_runs, "cpu_s"), 2),
            "store_ingest_file_rounds": med(file_runs, "rounds_in_ingest"),
            "store_ingest_kafka_rounds": med(kafka_runs, "rounds_in_ingest"),
            "store_ingest_kafka_state_bytes": round(med(kafka_runs, "state_bytes")),
            "store_ingest_kafka_state_snapshots": med(kafka_runs, "state_snapshots"),
            "store_ingest_kafka_state_bytes_per_event": round(med(kafka_runs, "state_bytes") / n, 1),
            "store_ingest_file_checkpoint_bytes": round(med(file_runs, "ckpt_bytes")),
            "store_ingest_load_average_1m": os.getloadavg()[0],
        }

        print(f"\ningest of {n} events from the start ({parts} partitions, checkpoint.interval "
              f"{CHECKPOINT_INTERVAL}), file store and Kafka store run alternately, real "
              "handoffd + mock_kafka:")
        print(f"{'run':<8} {'ready (s)':>9} {'to N (s)':>9} {'events/s':>9} {'CPU (s)':>8} "
              f"{'ns/event':>9} {'rounds':>6}  written by N")
        for i, r in enumerate(runs):
            print(f"{r['store'] + ' ' + str(i // 2 + 1):<8} {r['startup_s']:>9.2f} {r['s']:>9.2f} "
                  f"{r['events_per_s']:>9.0f} {r['ingest_cpu_s']:>8.2f} "
                  f"{r['ingest_cpu_s'] / n * 1e9:>9.0f} {r['rounds_in_ingest']:>6}  {written(r)}")
        print("(events/s, CPU and rounds: from /-/ready to the scrape that saw all N consumed; "
              "rounds: checkpoint rounds finished meanwhile)")
        print(f"kafka / file, median over pairs: events/s {result['store_ingest_kafka_vs_file']:.3f}x "
              f"(per pair {', '.join(f'{x:.3f}' for x in ratios('events_per_s'))}), CPU "
              f"{result['store_ingest_kafka_vs_file_cpu']:.3f}x "
              f"(per pair {', '.join(f'{x:.3f}' for x in ratios('ingest_cpu_s'))}); state topic "
              f"{result['store_ingest_kafka_state_bytes_per_event']} B per event")
        print(json.dumps(result))
    except AssertionError as e:  # a wait timed out, or handoffd exited
        sys.exit(f"store_ingest: {e}")
    except subprocess.SubprocessError as e:  # kcat failed or timed out
        sys.exit(f"store_ingest: {e}")
    finally:
        procs.stop_all(grace=10)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()

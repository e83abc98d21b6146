#!/usr/bin/env python3
"""No cheap lockout (issue 15): while 200 slowloris connections and a password-guessing
flood run against handoffd's HTTP server, a Prometheus-like client with valid
credentials still scrapes. Before the fix, 64 idle connections took every slot for 10 s
at a time and the guessing flood filled the bcrypt queue, so /metrics answered 503.

The attackers connect from 127.0.0.2 and 127.0.0.3 (all of 127/8 is loopback on Linux),
the scraper from 127.0.0.1. Prints the scrape latency figures; asserts that at least 99 %
of the scrapes get 200 within 100 ms.

Environment: HANDOFFD and MOCK_KAFKA name the binaries (ctest sets them).
"""

import base64
import crypt
import json
import os
import itertools
import socket
import subprocess
import sys
import threading
import time
import unittest
import warnings

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from handoff_testing import Handoffd, MockKafkaTestCase, wait_for, write_config

SCRAPES = 300
SLOWLORIS = 200


def basic(user, password):
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def request(port, source, path, authorization, timeout=2.0):
    """One request on a fresh connection from `source`: (status or None, seconds)."""
    start = time.monotonic()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout,
                                      source_address=(source, 0)) as s:
            s.sendall((f"GET {path} HTTP/1.1\r\nHost: x\r\nAuthorization: {authorization}\r\n"
                       "Connection: close\r\n\r\n").encode())
            head = s.recv(64)
        status = int(head.split()[1]) if head.startswith(b"HTTP/1.1 ") else None
    except (OSError, ValueError, IndexError):
        status = None
    return status, time.monotonic() - start


def attack(port):
    """SLOWLORIS connections from 127.0.0.2 that never finish their head, and 16 threads
    guessing passwords from 127.0.0.3, until killed."""
    def slowloris():
        while True:
            try:
                s = socket.create_connection(("127.0.0.1", port), timeout=2,
                                             source_address=("127.0.0.2", 0))
                s.sendall(b"GET /metrics HTTP/1.1\r\n")
                while True:
                    s.sendall(b"X")  # a byte now and then, never the end of the head
                    time.sleep(0.5)
            except OSError:
                time.sleep(0.05)

    def guesser(n):
        for i in itertools.count():
            request(port, "127.0.0.3", "/metrics", basic("prometheus", f"guess-{n}-{i}"))

    threads = [threading.Thread(target=slowloris, daemon=True) for _ in range(SLOWLORIS)]
    threads += [threading.Thread(target=guesser, args=(n,), daemon=True) for n in range(16)]
    for t in threads:
        t.start()
    threads[0].join()


class LockoutTest(MockKafkaTestCase):
    TOPICS = ["handoffs:1"]

    def test_scrapes_get_through_slowloris_and_a_guessing_flood(self):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            hashed = crypt.crypt("s3cret", crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=1024))
        config_path = os.path.join(self.workdir, "d.yaml")
        write_config(config_path, self.kafka.brokers, os.path.join(self.workdir, "ckpt"))
        with open(config_path) as f:
            config = json.load(f)
        config["web"]["basic_auth_users"] = {"prometheus": hashed}
        with open(config_path, "w") as f:
            json.dump(config, f)
        d = Handoffd(self.procs, self.workdir, "d", config_path)
        good = basic("prometheus", "s3cret")
        wait_for(lambda: request(d.port, "127.0.0.1", "/-/healthy", good)[0] == 200, 20,
                 "the server")

        # The attack runs in a process of its own, so that its threads do not hold the
        # scraper's interpreter lock: the latency measured is the server's.
        attack = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--attack",
                                   str(d.port)])
        self.addCleanup(attack.kill)
        time.sleep(3)  # the attack settles: every slot it can take is taken

        latencies, statuses = [], []
        for _ in range(SCRAPES):
            status, seconds = request(d.port, "127.0.0.1", "/metrics", good)
            statuses.append(status)
            latencies.append(seconds)
            time.sleep(0.02)
        self.assertIsNone(attack.poll(), "the attack process ended early")
        attack.kill()

        fast_ok = sum(1 for s, t in zip(statuses, latencies) if s == 200 and t <= 0.1)
        ordered = sorted(latencies)
        print(f"\nlockout: {fast_ok}/{SCRAPES} scrapes got 200 within 100 ms; "
              f"statuses {sorted(set(map(str, statuses)))}; latency p50 "
              f"{ordered[len(ordered) // 2] * 1000:.1f} ms, p99 "
              f"{ordered[int(len(ordered) * 0.99) - 1] * 1000:.1f} ms, max "
              f"{ordered[-1] * 1000:.1f} ms", flush=True)
        self.assertGreaterEqual(fast_ok, 0.99 * SCRAPES)
        self.assertIn("http authentication failed", d.log())


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--attack":
        attack(int(sys.argv[2]))
    else:
        unittest.main()

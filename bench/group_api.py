#!/usr/bin/env python3
"""The whole group's API answers (issue #17): three handoffd members with
checkpoint.store: kafka share a group over 8 partitions of the mock cluster
(tests/tools/mock_kafka, over TCP) and hold OPEN open instances between them. The figure
is the median time of GET /api/v1/instances?limit=LIMIT on one member, which asks the
other two and merges; the baseline in the same run is the same request with local=1 (the
member's own partitions only, nothing asked). Then the same for /api/v1/orders/{key} of
an order on the asked member.

Usage: HANDOFFD=build/daemon/handoffd MOCK_KAFKA=build/tests/tools/mock_kafka \\
       python3 bench/group_api.py [--open 30000] [--limit 100] [--requests 50]
       (prints one JSON line last)
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "support"))
from handoff_testing import (Handoffd, MockKafka, Processes, cloud_event, now_rfc3339, wait_for,
                             write_config)

PARTITIONS = 8


def timed_get(url):
    start = time.perf_counter()
    with urllib.request.urlopen(url, timeout=30) as response:
        body = response.read()
    return time.perf_counter() - start, body


def median_ms(url, requests):
    timed_get(url)  # the member list is read once, on the first group answer
    return statistics.median(timed_get(url)[0] for _ in range(requests)) * 1000


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--open", type=int, default=30000)
    parser.add_argument("--limit", type=int, default=100)
    parser.add_argument("--requests", type=int, default=50)
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="handoff-group-api-")
    procs = Processes()
    try:
        kafka = MockKafka(procs, workdir, [f"handoffs:{PARTITIONS}", f"handoff.state:{PARTITIONS}"])
        kafka.produce("handoffs", [
            f"order-{i}|" + cloud_event(f"order-{i}-requested", "handoff.requested", f"order-{i}",
                                        now_rfc3339(), **{"from": "sales", "to": "operations"})
            for i in range(args.open)])
        config = os.path.join(workdir, "handoffd.yaml")
        write_config(config, kafka.brokers, None, slas=(("accept", "1h"),), group="group-api",
                     state_topic="handoff.state")
        members = [Handoffd(procs, workdir, name, config,
                            env={"HANDOFF_KAFKA_GROUP_INSTANCE_ID": name})
                   for name in ("a", "b", "c")]

        def open_in_group():
            status, body = members[0].get("/api/v1/instances?limit=1")
            return status == 200 and json.loads(body)["matched"] == args.open
        wait_for(open_in_group, 120, f"{args.open} open instances in the group")

        url = members[0].url + f"/api/v1/instances?limit={args.limit}"
        group = median_ms(url, args.requests)
        local = median_ms(url + "&local=1", args.requests)
        # An order on the asked member's partitions, so that its own part is not a 404.
        own = json.loads(members[0].get("/api/v1/instances?limit=1&local=1")[1])["instances"]
        order = members[0].url + "/api/v1/orders/" + own[0]["key"]
        order_group = median_ms(order, args.requests)
        order_local = median_ms(order + "?local=1", args.requests)
        print(f"instances limit={args.limit}: group {group:.2f} ms, local {local:.2f} ms; "
              f"order: group {order_group:.2f} ms, local {order_local:.2f} ms")
        print(json.dumps({"group_api_instances_ms": round(group, 2),
                          "group_api_instances_local_ms": round(local, 2),
                          "group_api_instances_ratio": round(group / local, 2),
                          "group_api_order_ms": round(order_group, 2),
                          "group_api_order_local_ms": round(order_local, 2),
                          "group_api_order_ratio": round(order_group / order_local, 2)}))
    finally:
        procs.kill_all()


if __name__ == "__main__":
    main()

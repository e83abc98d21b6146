#!/usr/bin/env python3
"""Writes a replay input of N CloudEvents (one JSON object a line) for
config/examples/orders.yaml: orders flowing sales -> operations -> fulfillment -> finance,
with tiers (gold, silver, or none), holds, returns and cancellations, in event-time order
(a few events up to 3 s out of order, within the config's 5 s lateness). Deterministic
for a given --seed. Used by bench/baseline_timing; the file is not committed.

Usage: bench/gen_events.py --events 10000000 --out /tmp/events-10m.jsonl [--seed 1]
"""

import argparse
import heapq
import json
import random
from datetime import datetime, timedelta, timezone

START = datetime(2026, 11, 2, 6, 0, tzinfo=timezone.utc)  # a Monday


def order_events(rng, n, t0):
    """The events of order n, starting at t0 (seconds), as (time, type, data)."""
    key = f"order-{n}"
    tier = rng.choice(("gold", "silver", "silver", None))
    t = t0
    out = []

    def add(type_, **data):
        out.append((t, type_, data))

    sales = {"from": "sales", "to": "operations"}
    if tier:
        sales["customer_tier"] = tier
    add("order.created")
    add("handoff.requested", **sales)
    if rng.random() < 0.05:
        t += rng.expovariate(1 / 1800)
        add("handoff.returned", **{"from": "operations", "to": "sales",
                                    "reason": "missing_details"})
        t += rng.expovariate(1 / 3600)
        add("handoff.requested", **sales)
    if rng.random() < 0.03:
        t += rng.expovariate(1 / 900)
        add("order.cancelled", reason="customer_request")
        return key, out
    if rng.random() < 0.1:
        t += rng.expovariate(1 / 1200)
        add("order.on_hold", reason="credit_check")
        t += rng.expovariate(1 / 3600)
        add("order.released")
    t += rng.expovariate(1 / 3600)
    add("handoff.accepted", **{"from": "sales", "to": "operations"})
    t += rng.expovariate(1 / 600)
    add("handoff.requested", **{"from": "operations", "to": "fulfillment"})
    t += rng.expovariate(1 / 14400)
    add("order.packed")
    t += rng.expovariate(1 / 7200)
    add("order.shipped")
    t += rng.expovariate(1 / 20000)
    add("invoice.issued")
    return key, out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    pending = []  # (time, seq, key, type, data)
    seq = 0
    written = 0
    t_next_order = 0.0
    n = 0
    with open(args.out, "w") as f:
        while written < args.events:
            # Open orders until the next one starts after the earliest pending event.
            while not pending or t_next_order <= pending[0][0]:
                key, events = order_events(rng, n, t_next_order)
                for t, type_, data in events:
                    heapq.heappush(pending, (t, seq, key, type_, data))
                    seq += 1
                n += 1
                t_next_order += rng.expovariate(1 / 2.0)  # an order every 2 s on average
            t, s, key, type_, data = heapq.heappop(pending)
            jitter = rng.random() * 3 if rng.random() < 0.01 else 0  # a little disorder
            when = START + timedelta(seconds=max(0.0, t - jitter))
            record = {"specversion": "1.0", "id": f"e{s}", "source": "/bench", "type": type_,
                      "time": when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z",
                      "subject": key, "data": data}
            f.write(json.dumps(record, separators=(",", ":")) + "\n")
            written += 1


if __name__ == "__main__":
    main()

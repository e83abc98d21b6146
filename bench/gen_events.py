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
    """The events of order n, starting at t0 (seconds), as (time, type, data JSON)."""
    tier = rng.choice(("gold", "silver", "silver", None))
    t = t0
    out = []
    sales = SALES[tier]
    out.append((t, "order.created", "{}"))
    out.append((t, "handoff.requested", sales))
    if rng.random() < 0.05:
        t += rng.expovariate(1 / 1800)
        out.append((t, "handoff.returned", RETURNED))
        t += rng.expovariate(1 / 3600)
        out.append((t, "handoff.requested", sales))
    if rng.random() < 0.03:
        t += rng.expovariate(1 / 900)
        out.append((t, "order.cancelled", CANCELLED))
        return out
    if rng.random() < 0.1:
        t += rng.expovariate(1 / 1200)
        out.append((t, "order.on_hold", ON_HOLD))
        t += rng.expovariate(1 / 3600)
        out.append((t, "order.released", "{}"))
    for mean, type_, data in STEPS:
        t += rng.expovariate(1 / mean)
        out.append((t, type_, data))
    return out


def compact(data):
    return json.dumps(data, separators=(",", ":"))


SALES = {tier: compact({"from": "sales", "to": "operations",
                        **({"customer_tier": tier} if tier else {})})
         for tier in ("gold", "silver", None)}
RETURNED = compact({"from": "operations", "to": "sales", "reason": "missing_details"})
CANCELLED = compact({"reason": "customer_request"})
ON_HOLD = compact({"reason": "credit_check"})
# (mean seconds after the previous step, type, data) once an order is not cancelled.
STEPS = ((3600, "handoff.accepted", compact({"from": "sales", "to": "operations"})),
         (600, "handoff.requested", compact({"from": "operations", "to": "fulfillment"})),
         (14400, "order.packed", "{}"),
         (7200, "order.shipped", "{}"),
         (20000, "invoice.issued", "{}"))


class TimeText:
    """RFC 3339 with milliseconds; the whole-second part is cached (events are in order)."""

    def __init__(self):
        self.second = None
        self.prefix = ""

    def __call__(self, seconds):
        whole = int(seconds)
        if whole != self.second:
            self.second = whole
            self.prefix = (START + timedelta(seconds=whole)).strftime("%Y-%m-%dT%H:%M:%S.")
        return f"{self.prefix}{int((seconds - whole) * 1000):03d}Z"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    time_text = TimeText()
    pending = []  # (time, seq, order number, type, data)
    seq = 0
    written = 0
    t_next_order = 0.0
    n = 0
    with open(args.out, "w", buffering=1 << 20) as f:
        while written < args.events:
            # Open orders until the next one starts after the earliest pending event.
            while not pending or t_next_order <= pending[0][0]:
                for t, type_, data in order_events(rng, n, t_next_order):
                    heapq.heappush(pending, (t, seq, n, type_, data))
                    seq += 1
                n += 1
                t_next_order += rng.expovariate(1 / 2.0)  # an order every 2 s on average
            t, s, order, type_, data = heapq.heappop(pending)
            if rng.random() < 0.01:
                t = max(0.0, t - rng.random() * 3)  # a little disorder
            f.write(f'{{"specversion":"1.0","id":"e{s}","source":"/bench","type":"{type_}",'
                    f'"time":"{time_text(t)}","subject":"order-{order}","data":{data}}}\n')
            written += 1


if __name__ == "__main__":
    main()

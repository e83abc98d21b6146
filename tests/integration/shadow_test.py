#!/usr/bin/env python3
"""Shadow SLAs end to end (docs/changing-slas.md): the real handoffd against the mock
Kafka cluster. A shadow SLA runs and breaches like any other on /metrics, marked by
handoff_sla_shadow, but none of its decisions reach the decisions topic, while the live
SLA beside it publishes as usual. A reload that flips `shadow` makes it live: the
instance it had open carries on (no restart, no reset) and its breach is published.

Environment: HANDOFFD and MOCK_KAFKA name the binaries (ctest sets them).
"""

import json
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from handoff_testing import (QUICK_RECONNECT, Handoffd, MockKafkaTestCase, cloud_event,
                             now_rfc3339, sla, wait_for, write_config)


class ShadowSlaTest(MockKafkaTestCase):
    WORKDIR_PREFIX = "handoff-shadow-"
    TOPICS = ["handoffs:2", "decisions:1"]

    def write_config(self, shadow):
        """`accept` (1 s, live) and its candidate `accept_v2` (5 s) beside it."""
        candidate = sla("accept_v2", "5s")
        candidate["shadow"] = shadow
        write_config(self.config_path, self.kafka.brokers,
                     os.path.join(self.workdir, "checkpoints"),
                     slas=(("accept", "1s"), candidate), breach_topic="decisions",
                     properties=QUICK_RECONNECT)

    def event(self, key, type_):
        return f"{key}|" + cloud_event(f"{key}-{type_}", type_, key, now_rfc3339(),
                                       **{"from": "sales", "to": "operations"})

    def decision_ids(self):
        text = self.kafka.consume("decisions", "%s\\n")
        return [json.loads(line)["id"] for line in text.splitlines() if line.strip()]

    def test_shadow_breaches_show_on_metrics_never_on_the_topic_until_flipped_live(self):
        self.config_path = os.path.join(self.workdir, "handoffd.yaml")
        self.write_config(shadow=True)
        d = Handoffd(self.procs, self.workdir, "d", self.config_path,
                     args=["--web.enable-lifecycle"])
        wait_for(d.ready, 20, "ready")
        self.assertEqual(d.series("handoff_sla_shadow"),
                         [({"from": "sales", "owner": "operations", "sla": "accept_v2",
                            "to": "operations"}, 1.0)])

        # Both SLAs breach order-1; only the live one's decisions are sent.
        self.kafka.produce("handoffs", [self.event("order-1", "handoff.requested")])
        wait_for(lambda: d.metric("handoff_sla_breached_total", sla="accept_v2") == 1, 20,
                 "the shadow breach on /metrics")
        self.assertEqual(d.metric("handoff_sla_breached_total", sla="accept"), 1)
        self.kafka.produce("handoffs", [self.event("order-1", "handoff.accepted")])
        # The topic has one partition and the producer keeps order: once the live SLA's
        # last decision is there, any shadow decision made before it would be too.
        wait_for(lambda: "accept/order-1/1/resolved" in self.decision_ids(), 20,
                 "the live SLA's decisions on the topic")
        self.assertEqual(d.metric("handoff_sla_elapsed_seconds_count", sla="accept_v2"), 1)
        self.assertEqual(self.decision_ids(),
                         ["accept/order-1/1/breached", "accept/order-1/1/resolved"])

        # order-2 opens while accept_v2 is shadow; the reload makes it live before its
        # 5 s deadline, and the instance carries on to breach on the topic.
        self.kafka.produce("handoffs", [self.event("order-2", "handoff.requested")])
        wait_for(lambda: d.metric("handoff_sla_started_total", sla="accept_v2") == 2, 20,
                 "order-2 opened in shadow")
        status, body = d.get("/api/v1/instances?sla=accept_v2")
        before = json.loads(body)["instances"]
        self.write_config(shadow=False)
        status, body = d.post("/-/reload")
        self.assertEqual(status, 200, body)
        self.assertEqual(d.series("handoff_sla_shadow"), [])
        status, body = d.get("/api/v1/instances?sla=accept_v2")
        after = json.loads(body)["instances"]
        self.assertEqual([(i["key"], i["cycle"], i["started_at"], i["deadline"]) for i in after],
                         [(i["key"], i["cycle"], i["started_at"], i["deadline"]) for i in before])
        wait_for(lambda: "accept_v2/order-2/1/breached" in self.decision_ids(), 20,
                 "the breach of the instance opened in shadow, now live")
        self.assertEqual(d.metric("handoff_sla_started_total", sla="accept_v2"), 2)
        self.assertNotIn("accept_v2/order-1/1/breached", self.decision_ids())
        self.assertEqual(d.stop(), 0)


if __name__ == "__main__":
    unittest.main()

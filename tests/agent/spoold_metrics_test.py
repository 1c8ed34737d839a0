"""spoold's /metrics as a Prometheus server reads it: the scrape parses with the Prometheus
client's own text-format parser (Debian's python3-prometheus-client), every counter family is
there, and at a quiet moment (everything delivered) the accounting identity holds on the
scraped values: appended = delivered + dropped + dead_lettered + not_selected + still_buffered.

Run with the system python3 (the one Debian's prometheus client is installed for), SPOOLD set
to the spoold binary."""

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import unittest
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

SPOOLD = os.environ.get("SPOOLD", "")
LIMIT_S = 60 * float(os.environ.get("SPOOL_TEST_TIME_SCALE", "1"))

# Families a scrape of an agent with one sink must hold (the counters of the Buffer, the
# forwarder and the receiver, and the identity's terms).
EXPECTED = [
    "spool_buffer_appended_records", "spool_buffer_written_records", "spool_buffer_dropped_records",
    "spool_buffer_write_batches", "spool_buffer_syncs",
    "spool_forward_delivered_records", "spool_forward_dead_lettered_records",
    "spool_forward_failed_sends", "spool_forward_batches", "spool_forward_sent_bytes",
    "spool_forward_lag_records", "spool_forward_circuit_state",
    "spool_otlp_requests", "spool_otlp_accepted_records", "spool_otlp_rejected_records",
    "spool_accounting_records", "spool_accounting_balanced", "spool_healthy",
]


def spans_request(first, n):
    spans = [{"traceId": "%032x" % (i + 1), "spanId": "%016x" % (i + 1), "name": "op-%d" % i,
              "startTimeUnixNano": "1700000000000000000", "endTimeUnixNano": "1700000001000000000"}
             for i in range(first, first + n)]
    return json.dumps({"resourceSpans": [{"resource": {}, "scopeSpans": [{"spans": spans}]}]}).encode()


@unittest.skipUnless(SPOOLD, "SPOOLD (the spoold binary) is not set")
class SpooldMetricsTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="spoold-metrics-")
        self.out = os.path.join(self.dir, "out.jsonl")
        self.proc = subprocess.Popen(
            [SPOOLD, os.path.join(self.dir, "log"), "--otlp-listen", "127.0.0.1:0",
             "--metrics-listen", "127.0.0.1:0", "--to", "jsonl:" + self.out],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("spoold: ready:"):
            self.proc.kill()
            self.fail("spoold did not start: " + line + self.proc.stderr.read())
        words = line.split()
        self.otlp = words[words.index("otlp") + 1]
        self.metrics = words[words.index("metrics") + 1]

    def tearDown(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(LIMIT_S)
        self.proc.stdout.close()
        self.proc.stderr.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def post(self, body):
        req = urllib.request.Request("http://%s/v1/traces" % self.otlp, data=body,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=LIMIT_S) as res:
            self.assertEqual(res.status, 200)

    def scrape(self):
        with urllib.request.urlopen("http://%s/metrics" % self.metrics, timeout=LIMIT_S) as res:
            self.assertEqual(res.status, 200)
            self.assertTrue(res.headers["Content-Type"].startswith("text/plain; version=0.0.4"))
            text = res.read().decode()
        samples = {}
        families = {}
        for family in text_string_to_metric_families(text):  # raises on a malformed exposition
            families[family.name] = family
            for s in family.samples:
                samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
        return families, samples

    def delivered_lines(self):
        if not os.path.exists(self.out):
            return 0
        with open(self.out) as f:
            return sum(1 for _ in f)

    def test_scrape_parses_has_every_counter_and_the_identity_holds_when_quiet(self):
        for i in range(5):
            self.post(spans_request(i * 20, 20))
        deadline = time.time() + LIMIT_S
        while self.delivered_lines() < 100 and time.time() < deadline:
            time.sleep(0.05)
        self.assertEqual(self.delivered_lines(), 100)
        # Quiet: the forwarder's cursor has caught up with the log (lag 0) before the scrape
        # that is checked.
        while time.time() < deadline:
            families, samples = self.scrape()
            lag = [v for (n, _), v in samples.items() if n == "spool_forward_lag_records"]
            if lag and all(v == 0 for v in lag):
                break
            time.sleep(0.05)
        for name in EXPECTED:
            self.assertIn(name, families, "family %s missing from the scrape" % name)
        for name, family in families.items():
            if family.type == "counter":
                for s in family.samples:
                    self.assertGreaterEqual(s.value, 0, s)
        terms = {dict(labels)["term"]: v for (n, labels), v in samples.items() if n == "spool_accounting_records"}
        self.assertEqual(terms["appended"], 100, terms)
        self.assertEqual(terms["appended"],
                         terms["delivered"] + terms["dropped"] + terms["dead_lettered"] + terms["not_selected"]
                         + terms["still_buffered"], terms)
        self.assertEqual(terms["delivered"], 100, terms)
        balanced = [v for (n, _), v in samples.items() if n == "spool_accounting_balanced"]
        self.assertEqual(balanced, [1.0])
        accepted = samples[("spool_otlp_accepted_records_total", (("signal", "traces"),))]
        self.assertEqual(accepted, 100)

        self.proc.send_signal(signal.SIGTERM)
        self.assertEqual(self.proc.wait(LIMIT_S), 0)


if __name__ == "__main__":
    unittest.main()

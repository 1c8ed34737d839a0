"""The OpenTelemetry JS SDK as spoold's client, through a collector outage and an agent crash.

A real SDK pipeline (tests/otel_js/export_spans.mjs: NodeTracerProvider, BatchSpanProcessor,
the OTLP/HTTP protobuf exporter, gzip) sends 200 spans a second for 25 seconds to spoold, which
forwards them to a loopback collector (tests/support/otlp_collector.py, OTLP/JSON). While it
runs, the collector is down for 10 seconds and spoold is SIGKILLed once and restarted on the
same log directory and ports. spoold must go on acknowledging while its collector is down (its
log holds the spans), and afterwards every span the SDK was told was exported (spoold
answered 200) must reach the collector, at most twice, with its attributes, resource, scope
and parent id as the SDK sent them; then spoold drains on SIGTERM and exits 0.

    SPOOLD=build/release/tools/spoold/spoold python3 -m unittest tests/agent/otel_js_sdk_test.py -v

Skipped unless SPOOLD names the binary and tests/otel_js/node_modules exists (scripts/setup
runs npm ci there). NODE overrides the node binary. SPOOLD_SINK_ARGS overrides how the
collector is given to spoold: its words, with {url} (the collector's base URL) and {config}
(a TOML file written beside, see sink_config_toml) filled in.
"""

import ctypes
import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COLLECTOR = os.path.join(ROOT, "tests", "support", "otlp_collector.py")
EXPORTER_DIR = os.path.join(ROOT, "tests", "otel_js")
EXPORTER = os.path.join(EXPORTER_DIR, "export_spans.mjs")
NODE_MODULES = os.path.join(EXPORTER_DIR, "node_modules")

SPANS_PER_S = 200
RUN_S = 25
COLLECTOR_DOWN_AT_S = 5
COLLECTOR_DOWN_FOR_S = 10
SPOOLD_KILLED_AT_S = 9  # while the collector is down: the restarted agent has a backlog to send
SCOPE_NAME = "spool-agent-test-scope"
SCOPE_VERSION = "4.5.6"

# Every wait is bounded.
START_TIMEOUT_S = 30
EXPORTER_TIMEOUT_S = RUN_S + 120  # the run, then forceFlush through the exporter's retries
DELIVERY_TIMEOUT_S = 60
STOP_TIMEOUT_S = 30

# What export_spans.mjs puts in its resource (RESOURCE_ATTRIBUTES there).
EXPECTED_RESOURCE = {
    "service.name": "spool-otel-js-test",
    "test.resource.string": "resource-value",
    "test.resource.int": 42,
    "test.resource.bool": True,
}
SPAN_KIND_SERVER, SPAN_KIND_CLIENT = 2, 3
STATUS_OK, STATUS_ERROR = 1, 2


def sink_config_toml(collector_url):
    """The forwarder spoold needs here: OTLP/JSON (the collector reads no protobuf), gzip (no zstd)."""
    return ("[[sink]]\n"
            f"url = \"{collector_url}\"\n"
            "encoding = \"json\"\n"
            "compression = \"gzip\"\n")


def sink_arguments(collector_url, config_path):
    template = os.environ.get("SPOOLD_SINK_ARGS", "--config {config}")
    return [word.format(url=collector_url, config=config_path) for word in shlex.split(template)]


def die_with_parent():
    """In a child before exec: SIGKILL it when the test process dies, even by SIGKILL (a ctest
    timeout), so no collector, spoold or node outlives the test."""
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def free_ports(count, taken):
    """count distinct loopback ports that are free now and not in taken (spoold listens on
    them across its restart, so they are chosen once)."""
    ports = []
    while len(ports) < count:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in ports and port not in taken:
            ports.append(port)
    return ports


def accepts_connections(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def tail(path, limit=4000):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()[-limit:]
    except OSError:
        return ""


def read_jsonl(path):
    """The complete lines of a JSON lines file another process may be appending to."""
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as f:
        text = f.read()
    complete = text[: text.rfind("\n") + 1]
    return [json.loads(line) for line in complete.splitlines() if line.strip()]


def needs_node(cls):
    cls = unittest.skipUnless(os.path.isdir(NODE_MODULES),
                              "tests/otel_js/node_modules is missing (scripts/setup runs npm ci there)")(cls)
    return unittest.skipUnless(shutil.which(os.environ.get("NODE", "node")), "node is not installed")(cls)


class SdkScenario(unittest.TestCase):
    """The processes of a scenario (collector, spoold, the SDK's exporter) and the checks."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="otel_js_sdk_test.")
        self.log_dir = os.path.join(self.dir, "log")
        self.collected = os.path.join(self.dir, "collected.jsonl")
        self.acked = os.path.join(self.dir, "acked.jsonl")
        self.processes = []  # every child started, stopped in tearDown whatever happened
        self.spoold = None
        self.collector = None
        self.collector_port = 0

    def tearDown(self):
        for proc in self.processes:
            if proc.poll() is None:
                proc.kill()
            try:
                proc.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                pass
        if os.environ.get("SPOOL_KEEP_TEST_DIR"):
            print(f"kept {self.dir}", file=sys.stderr)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)

    def start(self, argv, name):
        out = open(os.path.join(self.dir, f"{name}.out"), "ab")
        err = open(os.path.join(self.dir, f"{name}.err"), "ab")
        try:
            proc = subprocess.Popen(argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                    preexec_fn=die_with_parent)
        finally:
            out.close()
            err.close()
        self.processes.append(proc)
        return proc

    # -- the collector -------------------------------------------------------------------------

    def start_collector(self):
        """Starts it on self.collector_port (0 the first time: it picks), appending to one file."""
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            out_path = os.path.join(self.dir, "collector.out")
            seen = len(tail(out_path, limit=10**9))
            proc = self.start([sys.executable, COLLECTOR, "--port", str(self.collector_port),
                               "--out", self.collected], "collector")
            while time.monotonic() < deadline and proc.poll() is None:
                line = tail(out_path, limit=10**9)[seen:]
                if line.startswith("listening on ") and line.endswith("\n"):
                    self.collector_port = int(line.split()[-1])
                    self.collector = proc
                    return
                time.sleep(0.05)
            if proc.poll() is None:
                proc.kill()
            # The port may still be held for a moment after a kill: try again until the deadline.
            if time.monotonic() >= deadline:
                self.fail(f"the collector did not start on port {self.collector_port}: "
                          f"{tail(os.path.join(self.dir, 'collector.err'))}")
            time.sleep(0.2)

    def kill_collector(self):
        self.collector.kill()
        self.collector.wait(STOP_TIMEOUT_S)

    # -- spoold --------------------------------------------------------------------------------

    def start_spoold(self):
        collector_url = f"http://127.0.0.1:{self.collector_port}"
        config = os.path.join(self.dir, "spoold.toml")
        with open(config, "w", encoding="utf-8") as f:
            f.write(sink_config_toml(collector_url))
        argv = [os.environ["SPOOLD"], self.log_dir,
                "--otlp-listen", f"127.0.0.1:{self.otlp_port}",
                "--metrics-listen", f"127.0.0.1:{self.metrics_port}"] + sink_arguments(collector_url, config)
        deadline = time.monotonic() + START_TIMEOUT_S
        exits = []
        while True:
            proc = self.start(argv, "spoold")
            while time.monotonic() < deadline and proc.poll() is None:
                if accepts_connections(self.otlp_port) and accepts_connections(self.metrics_port):
                    self.spoold = proc
                    return
                time.sleep(0.05)
            if proc.poll() is None:
                proc.kill()
                proc.wait(STOP_TIMEOUT_S)
            else:
                exits.append(proc.returncode)
            # A restart right after SIGKILL may find a port or the log directory still held.
            if time.monotonic() >= deadline:
                self.fail(f"spoold did not start in {START_TIMEOUT_S} s ({shlex.join(argv)}); exit codes of "
                          f"the attempts that ended: {sorted(set(exits))}; stderr: "
                          f"{tail(os.path.join(self.dir, 'spoold.err'))}")
            time.sleep(0.2)

    def http_get(self, port, path):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as response:
                return response.status, response.read().decode("utf-8", errors="replace")
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode("utf-8", errors="replace")

    # -- the scenario --------------------------------------------------------------------------

    def start_exporter(self, url, spans, rate, name="exporter"):
        node = shutil.which(os.environ.get("NODE", "node"))
        return self.start([node, EXPORTER, "--url", url, "--spans", str(spans), "--rate", str(rate),
                           "--out", self.acked, "--gzip",
                           "--scope-name", SCOPE_NAME, "--scope-version", SCOPE_VERSION], name)

    def wait_exporter(self, exporter):
        """The spans the SDK was told were exported, by span id, and the exporter's summary."""
        try:
            exporter.wait(EXPORTER_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.fail(f"the exporter did not finish in {EXPORTER_TIMEOUT_S} s")
        self.assertEqual(exporter.returncode, 0, tail(os.path.join(self.dir, "exporter.err")))
        lines = read_jsonl(self.acked)
        self.assertTrue(lines and lines[-1].get("summary"), f"no summary line in {self.acked}")
        summary, acked = lines[-1], lines[:-1]
        self.assertEqual(summary["ok"], len(acked), summary)
        self.assertGreater(len(acked), 0, f"no export was acknowledged: {summary}")
        acked_by_id = {span["span_id"]: span for span in acked}
        self.assertEqual(len(acked_by_id), len(acked), "the SDK exported a span id twice")
        return acked_by_id, summary

    def wait_delivered(self, acked_by_id, context):
        """Waits (bounded) until the collector holds every span of acked_by_id."""
        deadline = time.monotonic() + DELIVERY_TIMEOUT_S
        while True:
            collected = [line for line in read_jsonl(self.collected) if line.get("signal") == "traces"]
            arrived = {line["item"].get("spanId") for line in collected}
            missing = [span_id for span_id in acked_by_id if span_id not in arrived]
            if not missing or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        self.assertEqual(missing, [], f"{len(missing)} of {len(acked_by_id)} acknowledged spans never reached "
                                      f"the collector (e.g. {[acked_by_id[m]['name'] for m in missing[:5]]}); "
                                      f"{context()}")

    def assert_each_arrived_intact_at_most_twice(self, acked_by_id):
        copies = {}
        for line in read_jsonl(self.collected):
            if line.get("signal") == "traces":
                copies.setdefault(line["item"].get("spanId"), []).append(line)
        for span_id, span in acked_by_id.items():
            arrived = copies.get(span_id, [])
            self.assertIn(len(arrived), (1, 2), f"{span['name']} arrived {len(arrived)} times")
            for line in arrived:
                self.assert_intact(span, line)

    def assert_intact(self, acked, line):
        """One collected copy of an acknowledged span is the span the SDK made."""
        seq = acked["seq"]
        item = line["item"]
        where = f"{acked['name']} ({acked['span_id']})"
        self.assertEqual(item.get("traceId"), acked["trace_id"], where)
        self.assertEqual(item.get("name"), f"op-{seq}", where)
        self.assertEqual(item.get("parentSpanId") or None, acked["parent_span_id"], where)
        self.assertEqual(item.get("kind"), SPAN_KIND_SERVER if seq % 2 == 0 else SPAN_KIND_CLIENT, where)
        self.assertEqual((item.get("status") or {}).get("code"), STATUS_ERROR if seq % 10 == 0 else STATUS_OK, where)
        self.assertEqual([event.get("name") for event in item.get("events", [])], [f"event-{seq}"], where)

        attributes = line["attributes"]
        self.assertEqual(attributes.get("seq"), seq, where)
        self.assertEqual(attributes.get("test.string"), f"value-{seq}", where)
        self.assertIs(attributes.get("test.bool"), True, where)
        self.assertEqual(attributes.get("test.double"), 1.5, where)
        self.assertEqual(attributes.get("test.array"), ["a", "b"], where)
        # The wire types, not only the values: an int stays an int, a double a double.
        wire = {kv["key"]: kv.get("value", {}) for kv in item.get("attributes", [])}
        self.assertIn("intValue", wire.get("seq", {}), where)
        self.assertIn("doubleValue", wire.get("test.double", {}), where)
        self.assertIn("boolValue", wire.get("test.bool", {}), where)
        self.assertIn("arrayValue", wire.get("test.array", {}), where)

        resource = line["resource"]["attributes"]
        for key, value in EXPECTED_RESOURCE.items():
            self.assertEqual(resource.get(key), value, f"{where}: resource attribute {key}")
            self.assertIs(type(resource.get(key)), type(value), f"{where}: resource attribute {key}")
        self.assertEqual(line["scope"]["name"], SCOPE_NAME, where)
        self.assertEqual(line["scope"]["version"], SCOPE_VERSION, where)


@unittest.skipUnless(os.environ.get("SPOOLD"), "SPOOLD (the spoold binary) is not set")
@needs_node
class OtelJsSdkThroughSpooldTest(SdkScenario):
    def test_every_span_the_sdk_saw_acknowledged_reaches_the_collector_through_an_outage_and_a_crash(self):
        self.start_collector()
        self.otlp_port, self.metrics_port = free_ports(2, taken={self.collector_port})
        self.start_spoold()

        exporter = self.start_exporter(f"http://127.0.0.1:{self.otlp_port}/v1/traces", SPANS_PER_S * RUN_S,
                                       SPANS_PER_S)
        started = time.monotonic()

        def at(seconds):
            remaining = started + seconds - time.monotonic()
            if remaining > 0:
                time.sleep(remaining)
            self.assertIsNone(exporter.poll(),
                              f"the exporter ended early: {tail(os.path.join(self.dir, 'exporter.err'))}")

        at(COLLECTOR_DOWN_AT_S)
        self.kill_collector()
        collector_down_ms = time.time() * 1000
        at(SPOOLD_KILLED_AT_S)
        self.spoold.send_signal(signal.SIGKILL)
        self.spoold.wait(STOP_TIMEOUT_S)
        self.start_spoold()
        at(COLLECTOR_DOWN_AT_S + COLLECTOR_DOWN_FOR_S)
        collector_up_ms = time.time() * 1000
        self.start_collector()

        acked_by_id, summary = self.wait_exporter(exporter)
        # Store and forward: spoold went on acknowledging while its collector was down.
        self.assertTrue(any(collector_down_ms < span["acked_at_ms"] < collector_up_ms for span in acked_by_id.values()),
                        f"no export was acknowledged while the collector was down; exporter summary {summary}")
        self.wait_delivered(acked_by_id, lambda: f"exporter summary {summary}; spoold: "
                                                 f"{tail(os.path.join(self.dir, 'spoold.err'))}")

        # /metrics answers; /healthz answers with its verdict as JSON: 200 when healthy, 503
        # with the warnings (the outage's errors stay "recent" for a minute, so either).
        status, metrics = self.http_get(self.metrics_port, "/metrics")
        self.assertEqual(status, 200, metrics)
        status, health = self.http_get(self.metrics_port, "/healthz")
        verdict = json.loads(health)
        self.assertEqual(status, 200 if verdict["healthy"] else 503, health)
        self.assertEqual(verdict["healthy"], not verdict["warnings"], health)

        self.spoold.send_signal(signal.SIGTERM)
        try:
            self.spoold.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.fail(f"spoold did not stop within {STOP_TIMEOUT_S} s of SIGTERM")
        self.assertEqual(self.spoold.returncode, 0, tail(os.path.join(self.dir, "spoold.err")))

        self.assert_each_arrived_intact_at_most_twice(acked_by_id)


@needs_node
class OtelJsSdkToCollectorTest(SdkScenario):
    """The harness without spoold: the SDK's protobuf straight to the collector, which is down
    for 3 seconds meanwhile (the exporter's own retries carry the spans over the gap)."""

    def test_every_span_the_sdk_saw_acknowledged_reaches_the_collector_intact(self):
        self.start_collector()
        exporter = self.start_exporter(f"http://127.0.0.1:{self.collector_port}/v1/traces", 1500, 300)
        time.sleep(1.5)
        self.kill_collector()
        time.sleep(3)
        self.start_collector()
        acked_by_id, summary = self.wait_exporter(exporter)
        self.wait_delivered(acked_by_id, lambda: f"exporter summary {summary}")
        self.assert_each_arrived_intact_at_most_twice(acked_by_id)


if __name__ == "__main__":
    unittest.main()

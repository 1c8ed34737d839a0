"""tests/support/otlp_collector.py as a process: what it writes for each OTLP/JSON request, and
what it refuses.

    python3 -m unittest tests/support/otlp_collector_test.py -v
"""

import ctypes
import gzip
import http.client
import struct
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest

COLLECTOR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "otlp_collector.py")
START_TIMEOUT_S = 10
REQUEST_TIMEOUT_S = 10
STOP_TIMEOUT_S = 10


def die_with_parent():
    """In the child before exec: SIGKILL it if the test process dies first."""
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


class CollectorProcess:
    """One collector child; stop() ends it (SIGTERM, then SIGKILL) and is safe to repeat."""

    def __init__(self, out_path, port=0):
        self.proc = subprocess.Popen([sys.executable, COLLECTOR, "--port", str(port), "--out", out_path],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     preexec_fn=die_with_parent)
        self.port = self._read_port()

    def _read_port(self):
        lines = []

        def read():
            lines.append(self.proc.stdout.readline())

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        reader.join(START_TIMEOUT_S)
        if not lines or not lines[0].startswith("listening on "):
            self.stop()
            raise AssertionError(f"collector did not start: {lines!r} {self.proc.stderr.read()!r}")
        return int(lines[0].split()[-1])

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(STOP_TIMEOUT_S)
        for stream in (self.proc.stdout, self.proc.stderr):
            stream.close()
        return self.proc.returncode


def kv(key, value):
    return {"key": key, "value": value}


def traces_request(span_names, service="checkout"):
    return {"resourceSpans": [{
        "resource": {"attributes": [kv("service.name", {"stringValue": service}),
                                    kv("host.cpu", {"intValue": "8"}),
                                    kv("canary", {"boolValue": True})]},
        "schemaUrl": "https://example.invalid/schema",
        "scopeSpans": [{
            "scope": {"name": "lib", "version": "1.2.3", "attributes": [kv("scope.flag", {"boolValue": False})]},
            "spans": [{
                "traceId": "0102030405060708090a0b0c0d0e0f10",
                "spanId": f"{i + 1:016x}",
                "parentSpanId": "00000000000000ff" if i % 2 else "",
                "name": name,
                "kind": 2,
                "startTimeUnixNano": "1700000000000000000",
                "endTimeUnixNano": "1700000000000001000",
                "attributes": [kv("seq", {"intValue": str(i)}),
                               kv("ratio", {"doubleValue": 1.0}),
                               kv("list", {"arrayValue": {"values": [{"stringValue": "a"}, {"intValue": 2}]}}),
                               kv("map", {"kvlistValue": {"values": [kv("inner", {"boolValue": True})]}}),
                               kv("blob", {"bytesValue": "AAE="})],
                "status": {"code": 1},
            } for i, name in enumerate(span_names)],
        }],
    }]}


LOGS_REQUEST = {"resourceLogs": [{
    "resource": {"attributes": [kv("service.name", {"stringValue": "worker"})]},
    "scopeLogs": [{
        "scope": {"name": "logger"},
        "logRecords": [
            {"timeUnixNano": "1", "severityNumber": 9, "body": {"stringValue": "hello"},
             "attributes": [kv("n", {"intValue": "1"})]},
            {"timeUnixNano": "2", "severityNumber": 17, "body": {"stringValue": "bad"}},
        ],
    }],
}]}

METRICS_REQUEST = {"resourceMetrics": [{
    "resource": {"attributes": [kv("service.name", {"stringValue": "meter"})]},
    "scopeMetrics": [{
        "scope": {"name": "m", "version": "0.1"},
        "metrics": [
            {"name": "requests", "unit": "1", "description": "served",
             "sum": {"aggregationTemporality": 2, "isMonotonic": True, "dataPoints": [
                 {"asInt": "5", "attributes": [kv("route", {"stringValue": "/a"})]},
                 {"asInt": "7", "attributes": [kv("route", {"stringValue": "/b"})]}]}},
            {"name": "latency", "unit": "ms",
             "histogram": {"aggregationTemporality": 1, "dataPoints": [
                 {"count": "3", "sum": 4.5, "bucketCounts": ["1", "2"], "explicitBounds": [1.0]}]}},
            {"name": "temperature", "gauge": {"dataPoints": [{"asDouble": 21.5}]}},
        ],
    }],
}]}


# A protobuf writer for the requests below, independent of the collector's reader.
def varint(n):
    n &= (1 << 64) - 1
    out = bytearray()
    while True:
        if n < 0x80:
            out.append(n)
            return bytes(out)
        out.append((n & 0x7F) | 0x80)
        n >>= 7


def pb_len(number, payload):
    return varint(number << 3 | 2) + varint(len(payload)) + payload


def pb_varint(number, value):
    return varint(number << 3) + varint(value)


def pb_fixed64(number, value):
    return varint(number << 3 | 1) + struct.pack("<Q", value)


def pb_double(number, value):
    return varint(number << 3 | 1) + struct.pack("<d", value)


def pb_kv(key, any_value):
    return pb_len(1, key.encode()) + pb_len(2, any_value)


def pb_string_value(text):
    return pb_len(1, text.encode())


PROTOBUF_RESOURCE = pb_len(1, pb_kv("service.name", pb_string_value("pb-svc"))) + \
    pb_len(1, pb_kv("count", pb_varint(3, 12)))
PROTOBUF_SCOPE = pb_len(1, b"pb-lib") + pb_len(2, b"9.9") + pb_len(3, pb_kv("s", pb_varint(2, 1)))


def protobuf_traces_request():
    span = (pb_len(1, bytes(range(1, 17))) + pb_len(2, bytes(range(1, 9))) + pb_len(4, bytes(range(9, 17))) +
            pb_len(5, b"pb-span") + pb_varint(6, 3) + pb_fixed64(7, 1700000000000000000) +
            pb_fixed64(8, 1700000000000000500) +
            pb_len(9, pb_kv("neg", pb_varint(3, -5))) +
            pb_len(9, pb_kv("d", pb_double(4, 2.0))) +
            pb_len(9, pb_kv("arr", pb_len(5, pb_len(1, pb_string_value("x")) + pb_len(1, pb_varint(2, 1))))) +
            pb_len(9, pb_kv("kv", pb_len(6, pb_len(1, pb_kv("in", pb_string_value("y")))))) +
            pb_len(9, pb_kv("b", pb_len(7, b"\x00\x01"))) +
            pb_len(11, pb_fixed64(1, 7) + pb_len(2, b"ev")) +
            pb_len(13, pb_len(1, bytes(16 * [0xAB])) + pb_len(2, bytes(8 * [0xCD]))) +
            pb_len(15, pb_len(2, b"broken") + pb_varint(3, 2)) +
            pb_varint(99, 1))  # an unknown field is skipped
    root = pb_len(1, bytes(range(1, 17))) + pb_len(2, bytes(range(2, 10))) + pb_len(4, bytes(8)) + \
        pb_len(5, b"root")
    scope_spans = pb_len(1, PROTOBUF_SCOPE) + pb_len(2, span) + pb_len(2, root)
    resource_spans = pb_len(1, PROTOBUF_RESOURCE) + pb_len(2, scope_spans) + pb_len(3, b"https://s.invalid")
    return pb_len(1, resource_spans)


def protobuf_logs_request():
    record = (pb_fixed64(1, 5) + pb_fixed64(11, 6) + pb_varint(2, 9) + pb_len(3, b"INFO") +
              pb_len(5, pb_string_value("hello pb")) + pb_len(6, pb_kv("k", pb_varint(2, 1))) +
              pb_len(9, bytes(range(1, 17))) + pb_len(10, bytes(range(1, 9))) + pb_len(12, b"ev.name"))
    scope_logs = pb_len(1, PROTOBUF_SCOPE) + pb_len(2, record)
    return pb_len(1, pb_len(1, PROTOBUF_RESOURCE) + pb_len(2, scope_logs))


class OtlpCollectorTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="otlp_collector_test.")
        self.out = os.path.join(self.dir, "received.jsonl")
        self.collectors = []

    def tearDown(self):
        for collector in self.collectors:
            collector.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def start(self, port=0):
        collector = CollectorProcess(self.out, port)
        self.collectors.append(collector)
        return collector

    def post(self, port, path, body, content_type="application/json", encoding=None, chunked=False,
             connection=None):
        conn = connection or http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT_S)
        headers = {"Content-Type": content_type}
        if encoding:
            headers["Content-Encoding"] = encoding
        if chunked:
            headers["Transfer-Encoding"] = "chunked"
            half = len(body) // 2
            conn.request("POST", path, body=iter([body[:half], body[half:]]), headers=headers,
                         encode_chunked=True)
        else:
            conn.request("POST", path, body=body, headers=headers)
        response = conn.getresponse()
        text = response.read().decode("utf-8")
        if connection is None:
            conn.close()
        return response.status, text

    def lines(self):
        if not os.path.exists(self.out):
            return []
        with open(self.out, encoding="utf-8") as f:
            return [json.loads(line) for line in f]

    def test_spans_are_written_one_line_each_with_resource_scope_and_typed_attributes(self):
        c = self.start()
        status, text = self.post(c.port, "/v1/traces", json.dumps(traces_request(["a", "b"])).encode())
        self.assertEqual((status, text), (200, "{}"))

        lines = self.lines()
        self.assertEqual([line["item"]["name"] for line in lines], ["a", "b"])
        first, second = lines
        self.assertEqual(first["signal"], "traces")
        self.assertEqual(first["resource"]["attributes"], {"service.name": "checkout", "host.cpu": 8, "canary": True})
        self.assertEqual(first["resource"]["schema_url"], "https://example.invalid/schema")
        self.assertEqual(first["scope"], {"name": "lib", "version": "1.2.3", "attributes": {"scope.flag": False},
                                          "schema_url": ""})
        self.assertEqual(first["attributes"], {"seq": 0, "ratio": 1.0, "list": ["a", 2], "map": {"inner": True},
                                               "blob": "AAE="})
        self.assertIsInstance(first["attributes"]["seq"], int)
        self.assertIsInstance(first["attributes"]["ratio"], float)
        self.assertEqual(second["attributes"]["seq"], 1)
        self.assertEqual(second["item"]["parentSpanId"], "00000000000000ff")
        self.assertEqual(second["item"]["attributes"][0], kv("seq", {"intValue": "1"}))

    def test_gzip_and_chunked_bodies_are_read(self):
        c = self.start()
        body = json.dumps(traces_request(["gz"])).encode()
        self.assertEqual(self.post(c.port, "/v1/traces", gzip.compress(body), encoding="gzip")[0], 200)
        self.assertEqual(self.post(c.port, "/v1/traces", json.dumps(traces_request(["ch"])).encode(),
                                   chunked=True)[0], 200)
        self.assertEqual(self.post(c.port, "/v1/traces", gzip.compress(json.dumps(traces_request(["both"])).encode()),
                                   encoding="gzip", chunked=True)[0], 200)
        self.assertEqual([line["item"]["name"] for line in self.lines()], ["gz", "ch", "both"])

    def test_one_connection_carries_many_requests(self):
        c = self.start()
        conn = http.client.HTTPConnection("127.0.0.1", c.port, timeout=REQUEST_TIMEOUT_S)
        try:
            for i in range(5):
                status, _ = self.post(c.port, "/v1/traces", json.dumps(traces_request([f"s{i}"])).encode(),
                                      connection=conn)
                self.assertEqual(status, 200)
            # A refused request whose body was read leaves the connection usable too.
            self.assertEqual(self.post(c.port, "/v1/nothing", b"{}", connection=conn)[0], 404)
            self.assertEqual(self.post(c.port, "/v1/traces", json.dumps(traces_request(["last"])).encode(),
                                       connection=conn)[0], 200)
        finally:
            conn.close()
        self.assertEqual([line["item"]["name"] for line in self.lines()], ["s0", "s1", "s2", "s3", "s4", "last"])

    def test_log_records_are_written_one_line_each(self):
        c = self.start()
        self.assertEqual(self.post(c.port, "/v1/logs", json.dumps(LOGS_REQUEST).encode())[0], 200)
        lines = self.lines()
        self.assertEqual([line["signal"] for line in lines], ["logs", "logs"])
        self.assertEqual([line["item"]["body"]["stringValue"] for line in lines], ["hello", "bad"])
        self.assertEqual(lines[0]["attributes"], {"n": 1})
        self.assertEqual(lines[1]["attributes"], {})
        self.assertEqual(lines[0]["resource"]["attributes"], {"service.name": "worker"})
        self.assertEqual(lines[0]["scope"]["name"], "logger")

    def test_metric_data_points_are_written_one_line_each_with_their_metric(self):
        c = self.start()
        self.assertEqual(self.post(c.port, "/v1/metrics", json.dumps(METRICS_REQUEST).encode())[0], 200)
        lines = self.lines()
        self.assertEqual([(line["metric"]["name"], line["metric"]["type"]) for line in lines],
                         [("requests", "sum"), ("requests", "sum"), ("latency", "histogram"),
                          ("temperature", "gauge")])
        self.assertEqual(lines[0]["metric"], {"name": "requests", "description": "served", "unit": "1", "type": "sum",
                                              "aggregationTemporality": 2, "isMonotonic": True})
        self.assertEqual([line["attributes"].get("route") for line in lines], ["/a", "/b", None, None])
        self.assertEqual(lines[2]["item"]["bucketCounts"], ["1", "2"])
        self.assertEqual(lines[3]["item"]["asDouble"], 21.5)
        self.assertEqual(lines[0]["scope"]["version"], "0.1")

    def test_protobuf_spans_are_written_in_their_otlp_json_form(self):
        c = self.start()
        status, text = self.post(c.port, "/v1/traces", gzip.compress(protobuf_traces_request()),
                                 content_type="application/x-protobuf", encoding="gzip")
        self.assertEqual((status, text), (200, ""))
        span, root = self.lines()
        self.assertEqual(span["resource"], {"attributes": {"service.name": "pb-svc", "count": 12},
                                            "schema_url": "https://s.invalid"})
        self.assertEqual(span["scope"], {"name": "pb-lib", "version": "9.9", "attributes": {"s": True},
                                         "schema_url": ""})
        self.assertEqual(span["attributes"], {"neg": -5, "d": 2.0, "arr": ["x", True], "kv": {"in": "y"},
                                              "b": "AAE="})
        self.assertIsInstance(span["attributes"]["d"], float)
        item = span["item"]
        self.assertEqual(item["traceId"], "0102030405060708090a0b0c0d0e0f10")
        self.assertEqual(item["spanId"], "0102030405060708")
        self.assertEqual(item["parentSpanId"], "090a0b0c0d0e0f10")
        self.assertEqual((item["name"], item["kind"]), ("pb-span", 3))
        self.assertEqual((item["startTimeUnixNano"], item["endTimeUnixNano"]),
                         ("1700000000000000000", "1700000000000000500"))
        self.assertEqual(item["attributes"][0], kv("neg", {"intValue": "-5"}))
        self.assertEqual(item["events"], [{"timeUnixNano": "7", "name": "ev"}])
        self.assertEqual(item["links"], [{"traceId": "ab" * 16, "spanId": "cd" * 8}])
        self.assertEqual(item["status"], {"message": "broken", "code": 2})
        # An all-zero parent id is no parent, left out as OTLP/JSON does.
        self.assertEqual(root["item"]["name"], "root")
        self.assertNotIn("parentSpanId", root["item"])

    def test_protobuf_log_records_are_written_in_their_otlp_json_form(self):
        c = self.start()
        self.assertEqual(self.post(c.port, "/v1/logs", protobuf_logs_request(), content_type="application/x-protobuf",
                                   chunked=True), (200, ""))
        (line,) = self.lines()
        self.assertEqual(line["signal"], "logs")
        self.assertEqual(line["resource"]["attributes"], {"service.name": "pb-svc", "count": 12})
        self.assertEqual(line["attributes"], {"k": True})
        self.assertEqual(line["item"], {
            "timeUnixNano": "5", "observedTimeUnixNano": "6", "severityNumber": 9, "severityText": "INFO",
            "body": {"stringValue": "hello pb"}, "attributes": [kv("k", {"boolValue": True})],
            "traceId": "0102030405060708090a0b0c0d0e0f10", "spanId": "0102030405060708", "eventName": "ev.name"})

    def test_an_empty_request_is_accepted_and_writes_nothing(self):
        c = self.start()
        self.assertEqual(self.post(c.port, "/v1/traces", b"{}"), (200, "{}"))
        self.assertEqual(self.lines(), [])

    def test_what_it_cannot_read_is_refused_with_a_reason_and_writes_nothing(self):
        c = self.start()
        body = json.dumps(traces_request(["x"])).encode()
        status, text = self.post(c.port, "/v1/metrics", b"\x0a\x00", content_type="application/x-protobuf")
        self.assertEqual(status, 415)
        self.assertIn("protobuf metrics are not decoded", text)
        self.assertEqual(self.post(c.port, "/v1/traces", b"\x0a\x05\x0a", content_type="application/x-protobuf")[0],
                         400)
        status, text = self.post(c.port, "/v1/traces", body, encoding="zstd")
        self.assertEqual(status, 415)
        self.assertIn("zstd", text)
        self.assertEqual(self.post(c.port, "/v1/traces", body, content_type="text/plain")[0], 415)
        self.assertEqual(self.post(c.port, "/v2/traces", body)[0], 404)
        self.assertEqual(self.post(c.port, "/v1/traces", b"{not json")[0], 400)
        self.assertEqual(self.post(c.port, "/v1/traces", b"[1, 2]")[0], 400)
        self.assertEqual(self.post(c.port, "/v1/traces", b'{"resourceSpans": 5}')[0], 400)
        self.assertEqual(self.post(c.port, "/v1/traces", b"not gzip", encoding="gzip")[0], 400)
        self.assertEqual(self.lines(), [])

    def test_a_collector_restarted_on_the_same_port_and_file_appends(self):
        first = self.start()
        self.assertEqual(self.post(first.port, "/v1/traces", json.dumps(traces_request(["before"])).encode())[0], 200)
        self.assertEqual(first.stop(), 0)

        # The port is free again at once (SO_REUSEADDR), though the old connection may linger.
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                second = self.start(first.port)
                break
            except AssertionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        self.assertEqual(second.port, first.port)
        self.assertEqual(self.post(second.port, "/v1/traces", json.dumps(traces_request(["after"])).encode())[0], 200)
        self.assertEqual([line["item"]["name"] for line in self.lines()], ["before", "after"])


if __name__ == "__main__":
    unittest.main()

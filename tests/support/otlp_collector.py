#!/usr/bin/env python3
"""A loopback OTLP/HTTP collector for tests: takes OTLP (JSON; protobuf traces and logs), writes JSON lines.

    python3 tests/support/otlp_collector.py --port 0 --out received.jsonl
    -> prints "listening on PORT" (flushed) once it accepts connections

POST /v1/traces, /v1/logs and /v1/metrics with an OTLP/JSON body (Content-Type
application/json; Content-Encoding gzip or none; Content-Length or chunked) append one line per
span, log record or metric data point to --out, then answer 200 with `{}`. Traces and logs may
also come as protobuf (application/x-protobuf, as SDK exporters send by default): they are
turned into their OTLP/JSON form first (otlp_collector_protobuf.py) and written the same way,
and the answer is an empty protobuf response. When a sender is told 200, its items are
already in the file (written and flushed; not fsync'd): a test polls the file to see what was
delivered. The file is opened for appending, so a collector restarted
on the same --out adds to what an earlier one wrote.

Each line:
    {"signal": "traces" | "logs" | "metrics",
     "resource": {"attributes": {...}, "schema_url": "..."},
     "scope": {"name": ..., "version": ..., "attributes": {...}, "schema_url": ...},
     "metric": {"name", "description", "unit", "type", ...}      (metrics only)
     "attributes": {...},                                       (the item's own)
     "item": the span / log record / data point exactly as received (in OTLP/JSON form)}
"attributes" maps are plain JSON: intValue becomes an integer, doubleValue a float (written
with a decimal point, so json.loads gives a float back), boolValue true/false, arrayValue a
list, kvlistValue an object, bytesValue its base64 text. "item" keeps the OTLP/JSON wire form
for checks of exact types.

Answers that are not 200: 404 for another path, 405 for another method, 415 for protobuf
metrics (not decoded), another Content-Type or an unknown Content-Encoding (zstd included),
400 for a body that is not OTLP. Every answer closes no connection (HTTP/1.1 keep-alive), and
`Expect: 100-continue` is honoured. SIGTERM or SIGINT stops it (exit 0).
"""

import argparse
import gzip
import json
import signal
import sys
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import otlp_collector_protobuf  # beside this file

SIGNAL_PATHS = {
    "/v1/traces": "traces",
    "/v1/logs": "logs",
    "/v1/metrics": "metrics",
}

# The one-of members of an OTLP Metric that hold data points.
METRIC_TYPES = ("gauge", "sum", "histogram", "exponentialHistogram", "summary")

# Bodies larger than this are refused (413); a test collector needs no more.
MAX_BODY_BYTES = 64 * 1024 * 1024


class BadRequest(Exception):
    """A request the collector refuses; carries the HTTP status to answer with."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message


def any_value(value):
    """An OTLP/JSON AnyValue as plain JSON (see the module docstring)."""
    if not isinstance(value, dict) or not value:
        return None
    if "stringValue" in value:
        return value["stringValue"]
    if "boolValue" in value:
        return bool(value["boolValue"])
    if "intValue" in value:
        # OTLP/JSON writes 64-bit integers as strings; senders may also use numbers.
        return int(value["intValue"])
    if "doubleValue" in value:
        raw = value["doubleValue"]
        # The specification allows "NaN", "Infinity" and "-Infinity" as strings.
        return float(raw)
    if "arrayValue" in value:
        return [any_value(v) for v in (value["arrayValue"] or {}).get("values", [])]
    if "kvlistValue" in value:
        return attributes((value["kvlistValue"] or {}).get("values", []))
    if "bytesValue" in value:
        return value["bytesValue"]
    return None


def attributes(key_values):
    """A list of OTLP/JSON KeyValue as a {key: plain value} map."""
    result = {}
    for kv in key_values or []:
        if isinstance(kv, dict) and "key" in kv:
            result[kv["key"]] = any_value(kv.get("value"))
    return result


def resource_of(resource_entry):
    resource = resource_entry.get("resource") or {}
    return {
        "attributes": attributes(resource.get("attributes")),
        "schema_url": resource_entry.get("schemaUrl", ""),
    }


def scope_of(scope_entry):
    scope = scope_entry.get("scope") or {}
    return {
        "name": scope.get("name", ""),
        "version": scope.get("version", ""),
        "attributes": attributes(scope.get("attributes")),
        "schema_url": scope_entry.get("schemaUrl", ""),
    }


def list_field(obj, name):
    value = obj.get(name, [])
    if value is None:
        return []
    if not isinstance(value, list):
        raise BadRequest(400, f"'{name}' must be a list")
    return value


def lines_of(signal_name, request):
    """The JSON lines one Export*ServiceRequest becomes."""
    if not isinstance(request, dict):
        raise BadRequest(400, "the body must be a JSON object")
    resource_key, scope_key, items_key = {
        "traces": ("resourceSpans", "scopeSpans", "spans"),
        "logs": ("resourceLogs", "scopeLogs", "logRecords"),
        "metrics": ("resourceMetrics", "scopeMetrics", "metrics"),
    }[signal_name]
    lines = []
    for resource_entry in list_field(request, resource_key):
        resource = resource_of(resource_entry)
        for scope_entry in list_field(resource_entry, scope_key):
            scope = scope_of(scope_entry)
            for item in list_field(scope_entry, items_key):
                if signal_name != "metrics":
                    lines.append({
                        "signal": signal_name,
                        "resource": resource,
                        "scope": scope,
                        "attributes": attributes(item.get("attributes")),
                        "item": item,
                    })
                    continue
                metric_type = next((t for t in METRIC_TYPES if t in item), None)
                data = (item.get(metric_type) if metric_type else None) or {}
                metric = {
                    "name": item.get("name", ""),
                    "description": item.get("description", ""),
                    "unit": item.get("unit", ""),
                    "type": metric_type,
                }
                for key in ("aggregationTemporality", "isMonotonic"):
                    if key in data:
                        metric[key] = data[key]
                for point in list_field(data, "dataPoints"):
                    lines.append({
                        "signal": signal_name,
                        "resource": resource,
                        "scope": scope,
                        "metric": metric,
                        "attributes": attributes(point.get("attributes")),
                        "item": point,
                    })
    return lines


class Collector(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, out_path):
        super().__init__(address, CollectorHandler)
        self.out = open(out_path, "a", encoding="utf-8")
        self.out_lock = threading.Lock()

    def append(self, lines):
        """False once the collector is closing (the request is then answered 503)."""
        text = "".join(json.dumps(line, separators=(",", ":")) + "\n" for line in lines)
        with self.out_lock:
            if self.out.closed:
                return False
            self.out.write(text)
            self.out.flush()
        return True

    def server_close(self):
        super().server_close()
        with self.out_lock:
            self.out.close()


class CollectorHandler(BaseHTTPRequestHandler):
    # HTTP/1.1: keep-alive between requests, and `Expect: 100-continue` is answered.
    protocol_version = "HTTP/1.1"
    server_version = "spool-test-collector"

    def log_message(self, format, *args):  # noqa: A002 (the base class's name)
        pass

    def answer(self, status, body, content_type="application/json"):
        data = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def refuse(self, status, message, body_read=True):
        if not body_read:
            # The rest of the request is still on the connection: it cannot carry another.
            self.close_connection = True
        self.answer(status, message + "\n", content_type="text/plain; charset=utf-8")

    def read_body(self):
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            body = bytearray()
            while True:
                size_line = self.rfile.readline(1024)
                try:
                    size = int(size_line.split(b";")[0].strip(), 16)
                except ValueError:
                    raise BadRequest(400, "bad chunk size line") from None
                if size == 0:
                    # Trailer lines up to the empty line that ends the body.
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass
                    return bytes(body)
                if len(body) + size > MAX_BODY_BYTES:
                    raise BadRequest(413, "body too large")
                body += self.rfile.read(size)
                self.rfile.readline(1024)
        length_text = self.headers.get("Content-Length")
        if length_text is None:
            raise BadRequest(411, "Content-Length or chunked Transfer-Encoding required")
        try:
            length = int(length_text)
        except ValueError:
            raise BadRequest(400, "bad Content-Length") from None
        if length < 0 or length > MAX_BODY_BYTES:
            raise BadRequest(413, "body too large")
        return self.rfile.read(length)

    def decoded(self, body):
        encoding = (self.headers.get("Content-Encoding") or "identity").strip().lower()
        if encoding in ("identity", "none", ""):
            return body
        if encoding == "gzip":
            try:
                return gzip.decompress(body)
            except (OSError, EOFError, zlib.error) as e:
                raise BadRequest(400, f"gzip body does not decompress: {e}") from None
        raise BadRequest(415, f"Content-Encoding '{encoding}' is not supported (gzip or none)")

    def do_POST(self):  # noqa: N802 (the base class's name)
        try:
            body = self.read_body()
        except BadRequest as e:
            self.refuse(e.status, e.message, body_read=False)
            return
        try:
            # The body was read whatever the verdict, so the connection stays usable.
            signal_name = SIGNAL_PATHS.get(self.path.split("?", 1)[0])
            if signal_name is None:
                raise BadRequest(404, f"no such path {self.path} (POST /v1/traces, /v1/logs or /v1/metrics)")
            content_type = (self.headers.get("Content-Type") or "").split(";", 1)[0].strip().lower()
            if content_type == "application/x-protobuf":
                if signal_name not in otlp_collector_protobuf.REQUESTS:
                    raise BadRequest(415, f"protobuf {signal_name} are not decoded here; send Content-Type "
                                          "application/json (OTLP/JSON)")
                try:
                    request = otlp_collector_protobuf.decode_request(signal_name, self.decoded(body))
                except otlp_collector_protobuf.ProtobufError as e:
                    raise BadRequest(400, f"the body is not an OTLP protobuf export request: {e}") from None
            elif content_type == "application/json":
                try:
                    request = json.loads(self.decoded(body).decode("utf-8"))
                except (UnicodeDecodeError, json.JSONDecodeError) as e:
                    raise BadRequest(400, f"the body is not JSON: {e}") from None
            else:
                raise BadRequest(415, f"Content-Type '{content_type}' is not supported "
                                      "(application/json, or application/x-protobuf for traces and logs)")
            try:
                lines = lines_of(signal_name, request)
            except (AttributeError, TypeError, ValueError) as e:
                raise BadRequest(400, f"the body is not an OTLP/JSON export request: {e}") from None
        except BadRequest as e:
            self.refuse(e.status, e.message)
            return
        if not self.server.append(lines):
            self.refuse(503, "the collector is stopping")
            return
        if content_type == "application/x-protobuf":
            # An empty Export*ServiceResponse: full success.
            self.answer(200, "", content_type="application/x-protobuf")
        else:
            self.answer(200, "{}")

    def do_GET(self):  # noqa: N802
        self.refuse(405, "POST only", body_read=False)

    do_PUT = do_GET  # noqa: N815
    do_DELETE = do_GET  # noqa: N815


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--port", type=int, default=0, help="TCP port on 127.0.0.1 (0: pick a free one)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (loopback by default)")
    parser.add_argument("--out", required=True, help="JSON lines file to append to")
    args = parser.parse_args(argv)

    server = Collector((args.host, args.port), args.out)

    def stop(signum, frame):
        # shutdown() waits for serve_forever, which runs in this thread: ask from another one.
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"listening on {server.server_address[1]}", flush=True)
    try:
        server.serve_forever(poll_interval=0.1)
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

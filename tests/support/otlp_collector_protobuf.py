"""OTLP protobuf trace and log export requests as OTLP/JSON objects, for otlp_collector.py.

Enough of the wire format to read what SDKs send (the JS, Go and Python exporters default to
protobuf): ExportTraceServiceRequest and ExportLogsServiceRequest, with every field of
opentelemetry-proto's trace/v1, logs/v1, resource/v1 and common/v1 messages. Metrics are not
decoded (the collector answers 415 for them). The result is what the same request would be in
OTLP/JSON: trace and span ids as hex, 64-bit integers as decimal strings, enums as numbers,
bytes as base64, and fields at their default value left out. Unknown fields are skipped, as
protobuf readers do.

    request = decode_request("traces", body)   # raises ProtobufError on a malformed body
"""

import base64
import struct


class ProtobufError(ValueError):
    pass


# Wire types.
VARINT, I64, LEN, I32 = 0, 1, 2, 5


def _varint(data, pos):
    result = 0
    shift = 0
    while True:
        if pos >= len(data):
            raise ProtobufError("truncated varint")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, pos
        shift += 7
        if shift >= 70:
            raise ProtobufError("varint longer than 10 bytes")


def fields(data):
    """(field number, wire type, value) for each field of one message."""
    pos = 0
    end = len(data)
    while pos < end:
        key, pos = _varint(data, pos)
        number, wire_type = key >> 3, key & 7
        if number == 0:
            raise ProtobufError("field number 0")
        if wire_type == VARINT:
            value, pos = _varint(data, pos)
        elif wire_type == I64:
            if pos + 8 > end:
                raise ProtobufError("truncated fixed64")
            value = data[pos:pos + 8]
            pos += 8
        elif wire_type == LEN:
            length, pos = _varint(data, pos)
            if pos + length > end:
                raise ProtobufError("truncated length-delimited field")
            value = data[pos:pos + length]
            pos += length
        elif wire_type == I32:
            if pos + 4 > end:
                raise ProtobufError("truncated fixed32")
            value = data[pos:pos + 4]
            pos += 4
        else:
            raise ProtobufError(f"unsupported wire type {wire_type}")
        yield number, wire_type, value


def _int64(value):
    """A varint as the signed 64-bit integer it encodes."""
    value &= (1 << 64) - 1
    return value - (1 << 64) if value >= 1 << 63 else value


def _fixed64(value):
    return struct.unpack("<Q", value)[0]


def _fixed32(value):
    return struct.unpack("<I", value)[0]


def _double(value):
    return struct.unpack("<d", value)[0]


def _text(value):
    try:
        return bytes(value).decode("utf-8")
    except UnicodeDecodeError:
        raise ProtobufError("a string field is not UTF-8") from None


def any_value(data):
    out = {}
    for number, wire_type, value in fields(data):
        if number == 1 and wire_type == LEN:
            out = {"stringValue": _text(value)}
        elif number == 2 and wire_type == VARINT:
            out = {"boolValue": value != 0}
        elif number == 3 and wire_type == VARINT:
            out = {"intValue": str(_int64(value))}
        elif number == 4 and wire_type == I64:
            out = {"doubleValue": _double(value)}
        elif number == 5 and wire_type == LEN:
            out = {"arrayValue": {"values": [any_value(v) for n, t, v in fields(value) if n == 1 and t == LEN]}}
        elif number == 6 and wire_type == LEN:
            out = {"kvlistValue": {"values": [key_value(v) for n, t, v in fields(value) if n == 1 and t == LEN]}}
        elif number == 7 and wire_type == LEN:
            out = {"bytesValue": base64.b64encode(value).decode("ascii")}
    return out


def key_value(data):
    out = {"key": "", "value": {}}
    for number, wire_type, value in fields(data):
        if number == 1 and wire_type == LEN:
            out["key"] = _text(value)
        elif number == 2 and wire_type == LEN:
            out["value"] = any_value(value)
    return out


# How each message's fields map to OTLP/JSON: number -> (JSON name, kind), where kind is a
# converter name below or a message table (for sub-messages); repeated fields are lists.
_SCALARS = {
    "string": lambda wt, v: _text(v) if wt == LEN else None,
    "hex": lambda wt, v: bytes(v).hex() if wt == LEN else None,
    "uint": lambda wt, v: v if wt == VARINT else None,          # uint32 and enums: JSON numbers
    "fixed64": lambda wt, v: str(_fixed64(v)) if wt == I64 else None,  # 64-bit: JSON strings
    "fixed32": lambda wt, v: _fixed32(v) if wt == I32 else None,
    "any_value": lambda wt, v: any_value(v) if wt == LEN else None,
    "key_value": lambda wt, v: key_value(v) if wt == LEN else None,
}

RESOURCE = {1: ("attributes", "key_value", True), 2: ("droppedAttributesCount", "uint", False)}
SCOPE = {1: ("name", "string", False), 2: ("version", "string", False), 3: ("attributes", "key_value", True),
         4: ("droppedAttributesCount", "uint", False)}
STATUS = {2: ("message", "string", False), 3: ("code", "uint", False)}
EVENT = {1: ("timeUnixNano", "fixed64", False), 2: ("name", "string", False), 3: ("attributes", "key_value", True),
         4: ("droppedAttributesCount", "uint", False)}
LINK = {1: ("traceId", "hex", False), 2: ("spanId", "hex", False), 3: ("traceState", "string", False),
        4: ("attributes", "key_value", True), 5: ("droppedAttributesCount", "uint", False),
        6: ("flags", "fixed32", False)}
SPAN = {1: ("traceId", "hex", False), 2: ("spanId", "hex", False), 3: ("traceState", "string", False),
        4: ("parentSpanId", "hex", False), 16: ("flags", "fixed32", False), 5: ("name", "string", False),
        6: ("kind", "uint", False), 7: ("startTimeUnixNano", "fixed64", False),
        8: ("endTimeUnixNano", "fixed64", False), 9: ("attributes", "key_value", True),
        10: ("droppedAttributesCount", "uint", False), 11: ("events", EVENT, True),
        12: ("droppedEventsCount", "uint", False), 13: ("links", LINK, True),
        14: ("droppedLinksCount", "uint", False), 15: ("status", STATUS, False)}
SCOPE_SPANS = {1: ("scope", SCOPE, False), 2: ("spans", SPAN, True), 3: ("schemaUrl", "string", False)}
RESOURCE_SPANS = {1: ("resource", RESOURCE, False), 2: ("scopeSpans", SCOPE_SPANS, True),
                  3: ("schemaUrl", "string", False)}
TRACES_REQUEST = {1: ("resourceSpans", RESOURCE_SPANS, True)}

LOG_RECORD = {1: ("timeUnixNano", "fixed64", False), 11: ("observedTimeUnixNano", "fixed64", False),
              2: ("severityNumber", "uint", False), 3: ("severityText", "string", False),
              5: ("body", "any_value", False), 6: ("attributes", "key_value", True),
              7: ("droppedAttributesCount", "uint", False), 8: ("flags", "fixed32", False),
              9: ("traceId", "hex", False), 10: ("spanId", "hex", False), 12: ("eventName", "string", False)}
SCOPE_LOGS = {1: ("scope", SCOPE, False), 2: ("logRecords", LOG_RECORD, True), 3: ("schemaUrl", "string", False)}
RESOURCE_LOGS = {1: ("resource", RESOURCE, False), 2: ("scopeLogs", SCOPE_LOGS, True),
                 3: ("schemaUrl", "string", False)}
LOGS_REQUEST = {1: ("resourceLogs", RESOURCE_LOGS, True)}

REQUESTS = {"traces": TRACES_REQUEST, "logs": LOGS_REQUEST}


def message(data, table):
    out = {}
    for number, wire_type, value in fields(data):
        entry = table.get(number)
        if entry is None:
            continue
        name, kind, repeated = entry
        if isinstance(kind, dict):
            converted = message(value, kind) if wire_type == LEN else None
        else:
            converted = _SCALARS[kind](wire_type, value)
        if converted is None:
            raise ProtobufError(f"field {name} has wire type {wire_type}")
        if repeated:
            out.setdefault(name, []).append(converted)
        else:
            out[name] = converted
    # OTLP/JSON leaves zero values out; ids of all-zero bytes (no parent) too.
    return {k: v for k, v in out.items() if v not in ("", 0, "0") and not (k.endswith("Id") and set(v) <= {"0"})}


def decode_request(signal_name, data):
    """The OTLP/JSON form of an Export{Trace,Logs}ServiceRequest; KeyError for other signals."""
    return message(memoryview(data).tobytes(), REQUESTS[signal_name])

"""ctypes declarations of spool's C API (include/spool/spool.h) and the loading of libspool.

The library is found, in this order, at $SPOOL_LIBRARY, next to this package (an installed
tree: <prefix>/lib/libspool.so.0 beside <prefix>/lib/python3/dist-packages/spool, or below
<prefix>/share/spool/python/spool, where `cmake --install` puts the package), and through the
dynamic loader's search path (ldconfig, LD_LIBRARY_PATH).
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os
from pathlib import Path

_SONAME = "libspool.so.0"


class SpoolStr(ctypes.Structure):
    _fields_ = [("data", ctypes.c_char_p), ("len", ctypes.c_size_t)]


class SpoolAttribute(ctypes.Structure):
    _fields_ = [
        ("key", SpoolStr),
        ("type", ctypes.c_int),
        ("string_value", SpoolStr),
        ("int_value", ctypes.c_int64),
        ("double_value", ctypes.c_double),
        ("bool_value", ctypes.c_int),
    ]


class SpoolEvent(ctypes.Structure):
    _fields_ = [
        ("name", SpoolStr),
        ("time_ns", ctypes.c_int64),
        ("attributes", ctypes.POINTER(SpoolAttribute)),
        ("attribute_count", ctypes.c_size_t),
    ]


class SpoolSpan(ctypes.Structure):
    _fields_ = [
        ("struct_size", ctypes.c_size_t),
        ("trace_id", ctypes.c_uint8 * 16),
        ("span_id", ctypes.c_uint8 * 8),
        ("parent_span_id", ctypes.c_uint8 * 8),
        ("name", SpoolStr),
        ("type", ctypes.c_int),
        ("component_type", SpoolStr),
        ("start_ns", ctypes.c_int64),
        ("end_ns", ctypes.c_int64),
        ("status", ctypes.c_int),
        ("status_message", SpoolStr),
        ("attributes", ctypes.POINTER(SpoolAttribute)),
        ("attribute_count", ctypes.c_size_t),
        ("model", SpoolStr),
        ("input", SpoolStr),
        ("output", SpoolStr),
        ("input_tokens", ctypes.c_int64),
        ("output_tokens", ctypes.c_int64),
        ("tool_name", SpoolStr),
        ("tool_input", SpoolStr),
        ("tool_output", SpoolStr),
        ("events", ctypes.POINTER(SpoolEvent)),
        ("event_count", ctypes.c_size_t),
        ("priority", ctypes.c_int),
    ]


class SpoolLog(ctypes.Structure):
    _fields_ = [
        ("struct_size", ctypes.c_size_t),
        ("time_ns", ctypes.c_int64),
        ("severity_number", ctypes.c_int32),
        ("severity_text", SpoolStr),
        ("body", SpoolStr),
        ("attributes", ctypes.POINTER(SpoolAttribute)),
        ("attribute_count", ctypes.c_size_t),
        ("trace_id", ctypes.c_uint8 * 16),
        ("span_id", ctypes.c_uint8 * 8),
        ("priority", ctypes.c_int),
    ]


class SpoolMetric(ctypes.Structure):
    _fields_ = [
        ("struct_size", ctypes.c_size_t),
        ("name", SpoolStr),
        ("unit", SpoolStr),
        ("kind", ctypes.c_int),
        ("time_ns", ctypes.c_int64),
        ("value", ctypes.c_double),
        ("count", ctypes.c_uint64),
        ("sum", ctypes.c_double),
        ("bucket_bounds", ctypes.POINTER(ctypes.c_double)),
        ("bucket_bound_count", ctypes.c_size_t),
        ("bucket_counts", ctypes.POINTER(ctypes.c_uint64)),
        ("bucket_count_count", ctypes.c_size_t),
        ("attributes", ctypes.POINTER(SpoolAttribute)),
        ("attribute_count", ctypes.c_size_t),
        ("priority", ctypes.c_int),
    ]


def _candidates() -> list[str]:
    found = []
    env = os.environ.get("SPOOL_LIBRARY")
    if env:
        found.append(env)
    here = Path(__file__).resolve().parent
    for up in (here.parent, here.parent.parent, here.parent.parent.parent):
        found.append(str(up / _SONAME))
    # cmake --install: <prefix>/share/spool/python/spool -> <prefix>/lib/libspool.so.0
    found.append(str(here.parent.parent.parent.parent / "lib" / _SONAME))
    found.append(ctypes.util.find_library("spool") or _SONAME)
    return found


def _load() -> ctypes.CDLL:
    errors = []
    for path in _candidates():
        if os.sep in path and not os.path.exists(path):
            continue
        try:
            return ctypes.CDLL(path)
        except OSError as e:
            errors.append(f"{path}: {e}")
    raise ImportError("spool: cannot load libspool (set SPOOL_LIBRARY to its path): " + "; ".join(errors))


lib = _load()

_P = ctypes.c_void_p
_SIGNATURES = {
    "spool_last_error": (ctypes.c_char_p, []),
    "spool_status_name": (ctypes.c_char_p, [ctypes.c_int]),
    "spool_version": (ctypes.c_char_p, []),
    "spool_free": (None, [_P]),
    "spool_options_new": (ctypes.c_int, [ctypes.POINTER(_P)]),
    "spool_options_free": (None, [_P]),
    "spool_options_set": (ctypes.c_int, [_P, ctypes.c_char_p, ctypes.c_char_p]),
    "spool_open": (ctypes.c_int, [ctypes.c_char_p, _P, ctypes.POINTER(_P)]),
    "spool_close": (ctypes.c_int, [_P]),
    "spool_role": (ctypes.c_char_p, [_P]),
    "spool_span_init": (None, [ctypes.POINTER(SpoolSpan)]),
    "spool_log_init": (None, [ctypes.POINTER(SpoolLog)]),
    "spool_metric_init": (None, [ctypes.POINTER(SpoolMetric)]),
    "spool_append_span": (ctypes.c_int, [_P, ctypes.POINTER(SpoolSpan)]),
    "spool_append_log": (ctypes.c_int, [_P, ctypes.POINTER(SpoolLog)]),
    "spool_append_metric": (ctypes.c_int, [_P, ctypes.POINTER(SpoolMetric)]),
    "spool_append_raw": (ctypes.c_int, [_P, SpoolStr, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]),
    "spool_append_encoded": (ctypes.c_int, [_P, ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]),
    "spool_flush": (ctypes.c_int, [_P, ctypes.c_uint32]),
    "spool_sync": (ctypes.c_int, [_P]),
    "spool_stats_json": (ctypes.c_int, [_P, ctypes.POINTER(_P)]),
    "spool_forwarder_start": (ctypes.c_int, [_P, ctypes.c_char_p, ctypes.c_char_p, ctypes.POINTER(_P)]),
    "spool_forwarder_stop": (ctypes.c_int, [_P]),
    "spool_forwarder_stats_json": (ctypes.c_int, [_P, ctypes.POINTER(_P)]),
}
for _name, (_restype, _argtypes) in _SIGNATURES.items():
    _fn = getattr(lib, _name)
    _fn.restype = _restype
    _fn.argtypes = _argtypes

SPOOL_OK = 0
SPOOL_FULL = 9
SPOOL_TIMED_OUT = 10

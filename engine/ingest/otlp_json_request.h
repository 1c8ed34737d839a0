// The OTLP/JSON request decoder: the JSON mapping of Export{Trace,Logs,Metrics}ServiceRequest
// (OTLP specification, "JSON Protobuf Encoding") -> the same records as the protobuf decoder.
// Keys are lowerCamelCase (snake_case accepted too); trace and span ids are hex; enums are
// integers or their names; 64-bit integers are decimal strings or numbers; bytes are base64;
// doubles may be "NaN", "Infinity" or "-Infinity". Keys this decoder does not know are ignored.
#pragma once

#include <string_view>

#include "engine/ingest/otlp_record_store.h"
#include "engine/sinks/otlp/otlp_mapping.h"
#include "spool/status.h"

namespace spool::engine {

// Appends the request's records to `store` (not sealed); an error when `body` is not JSON or
// not a request of `signal` (a field of the wrong type).
Status decode_otlp_json_request(OtlpSignal signal, std::string_view body, OtlpRecordStore& store);

}  // namespace spool::engine

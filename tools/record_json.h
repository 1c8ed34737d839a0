// Records as JSON: the fields of a Span, LogRecord, Metric or Record payload (records.fbs),
// for spoolctl dump and anything else that shows records to people.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <span>

#include "spool/status.h"

namespace spool::tools {

// Decodes `payload` as the table its frame type names (RecordKind 1-4) after verifying it,
// so any bytes are safe to pass. The object holds every field of the table in schema order:
// ids as lowercase hex (null when absent), enums by name ("generation", "ok", "histogram";
// the number when a later version added a value), attributes as a list of
// {"key", "type", "value"} (keys may repeat; bytes as "value_b64", arrays and kvlists as
// "values", a list of such objects, an array's without "key"), Record data as base64
// ("data_b64"). The OTLP fields of records received over OTLP (resource, scope, links,
// dropped counts, metric description/temporality/min/max/summary/exponential buckets, ...)
// are appended after those, each only when set.
// Corruption when the payload does not verify, InvalidArgument when the type has no table
// (raw frames, unknown types): the caller shows the raw bytes instead.
//
// Strings come from the payload as they are and need not be UTF-8: dump the result with
// nlohmann::json::error_handler_t::replace.
Result<nlohmann::ordered_json> record_to_json(std::uint16_t frame_type,
                                              std::span<const std::uint8_t> payload);

}  // namespace spool::tools

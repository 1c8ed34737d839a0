// OtlpJsonEncoder: a ForwardBatch's records -> OTLP/JSON request bodies, the same messages
// as OtlpProtobufEncoder in the JSON mapping the OTLP specification requires: lowerCamelCase
// field names, trace and span ids as lowercase hex (not base64), 64-bit integers as decimal
// strings, enums as integers, bytes as base64. Mapping of records: otlp_mapping.h; records
// are grouped by resource and scope as OtlpProtobufEncoder groups them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "engine/sinks/otlp/otlp_encoder_groups.h"
#include "engine/sinks/otlp/otlp_mapping.h"
#include "spool/sink.h"
#include "spool/status.h"

namespace spool::engine {

class OtlpJsonEncoder {
 public:
  explicit OtlpJsonEncoder(std::span<const std::pair<std::string, std::string>> resource_attributes = {});

  // Replaces *out with the request of `signal` holding the batch's records of that signal and
  // returns how many it holds (0: none; *out is then empty). Malformed records are left out
  // and their offsets appended to *malformed (when given).
  std::size_t encode(const ForwardBatch& batch, OtlpSignal signal, std::string* out,
                     std::vector<std::uint64_t>* malformed = nullptr);

  // Appends one record as the OTLP/JSON object it is sent as (a Span, a LogRecord or a
  // Metric, per otlp_signal_for(record.kind)), with its "spool.idempotency_key" attribute.
  // A malformed payload appends nothing and returns the verifier's error.
  Status append_record(const ForwardRecord& record, std::uint64_t log_id, std::string* out);

 private:
  void append_resource(std::string& out, std::size_t group) const;
  void append_scope(std::string& out, std::size_t group) const;

  std::vector<std::pair<std::string, std::string>> configured_;  // the sink's resource attributes
  std::string resource_;  // "resource":{...} of records without one
  std::string scope_;     // "scope":{...} of records without one ("spool")
  std::vector<std::uint64_t> scratch_;
  OtlpEncoderGroups groups_;
  // The items of each scope group but the first (written in place), while encoding.
  std::vector<std::string> sides_;
  std::size_t sides_used_ = 0;
};

}  // namespace spool::engine

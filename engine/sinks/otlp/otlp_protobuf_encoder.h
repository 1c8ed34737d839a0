// OtlpProtobufEncoder: a ForwardBatch's records -> OTLP/protobuf request bodies
// (ExportTraceServiceRequest, ExportLogsServiceRequest, ExportMetricsServiceRequest of
// opentelemetry-proto v1), hand-encoded with ProtobufWriter. Mapping: otlp_mapping.h.
//
//   OtlpProtobufEncoder encoder(resource_attributes);        // one per sink; reuse it
//   std::string body;                                        // reuse it too
//   for (OtlpSignal s : kOtlpSignals)
//     if (encoder.encode(batch, s, &body, &malformed) > 0) post(s, body);
//
// Each request holds one ResourceX (the sink's resource attributes) with one ScopeX (scope
// "spool") holding every record of that signal, in offset order. Once `body` and the
// encoder's scratch have grown to the working size, encoding allocates nothing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "engine/sinks/otlp/otlp_mapping.h"
#include "spool/sink.h"

namespace spool::engine {

class OtlpProtobufEncoder {
 public:
  explicit OtlpProtobufEncoder(
      std::span<const std::pair<std::string, std::string>> resource_attributes = {});

  // Replaces *out with the request of `signal` holding the batch's records of that signal and
  // returns how many it holds (0: no such records; *out is then empty). Records whose
  // payload is not a valid table of their kind are left out and their offsets appended to
  // *malformed (when given).
  std::size_t encode(const ForwardBatch& batch, OtlpSignal signal, std::string* out,
                     std::vector<std::uint64_t>* malformed = nullptr);

 private:
  std::string resource_;  // the Resource message's bytes (its attributes)
  std::string scope_;     // the InstrumentationScope message's bytes
  std::vector<std::uint64_t> scratch_;  // aligned copies of misaligned payloads
};

}  // namespace spool::engine

// OtlpProtobufEncoder: a ForwardBatch's records -> OTLP/protobuf request bodies
// (ExportTraceServiceRequest, ExportLogsServiceRequest, ExportMetricsServiceRequest of
// opentelemetry-proto v1), hand-encoded with ProtobufWriter. Mapping: otlp_mapping.h.
//
//   OtlpProtobufEncoder encoder(resource_attributes);        // one per sink; reuse it
//   WireBytes body;                                          // reuse it too
//   for (OtlpSignal s : kOtlpSignals)
//     if (encoder.encode(batch, s, &body, &malformed) > 0) post(s, body.view());
//
// Records are grouped by resource and scope (otlp_encoder_groups.h): one ResourceX per
// resource, one ScopeX per scope of it, in order of their first record; records without
// them under the sink's resource attributes and the scope "spool". Each group keeps its
// records in offset order. Once `body` and the encoder's scratch have grown to the working
// size, encoding allocates nothing (a request of one group: more groups may allocate).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "engine/sinks/otlp/otlp_encoder_groups.h"
#include "engine/sinks/otlp/otlp_mapping.h"
#include "engine/sinks/otlp/wire_bytes.h"
#include "spool/sink.h"

namespace spool::engine {

template <typename Bytes>
class BasicProtobufWriter;
using ProtobufWriter = BasicProtobufWriter<WireBytes>;

class OtlpProtobufEncoder {
 public:
  explicit OtlpProtobufEncoder(
      std::span<const std::pair<std::string, std::string>> resource_attributes = {});
  ~OtlpProtobufEncoder();
  OtlpProtobufEncoder(const OtlpProtobufEncoder&) = delete;
  OtlpProtobufEncoder& operator=(const OtlpProtobufEncoder&) = delete;

  // Replaces *out with the request of `signal` holding the batch's records of that signal and
  // returns how many it holds (0: no such records; *out is then empty). Records whose
  // payload is not a valid table of their kind are left out and their offsets appended to
  // *malformed (when given).
  std::size_t encode(const ForwardBatch& batch, OtlpSignal signal, WireBytes* out,
                     std::vector<std::uint64_t>* malformed = nullptr);
  // The same into a std::string (a copy of the request: for tests and tools, not the hot path).
  std::size_t encode(const ForwardBatch& batch, OtlpSignal signal, std::string* out,
                     std::vector<std::uint64_t>* malformed = nullptr);

 private:
  struct Side;

  // ResourceX.resource (+ schema_url) and ScopeX.scope (+ schema_url) of a group.
  void resource_header(ProtobufWriter& w, std::size_t group) const;
  void scope_header(ProtobufWriter& w, std::size_t group) const;
  ProtobufWriter& side_writer(std::size_t group);
  void append_side_scope(ProtobufWriter& w, std::size_t group);

  std::vector<std::pair<std::string, std::string>> configured_;  // the sink's resource attributes
  WireBytes resource_;                  // the Resource message's bytes (its attributes)
  WireBytes scope_;                     // the InstrumentationScope message's bytes
  WireBytes copy_;                      // encode() into a std::string writes here first
  std::vector<std::uint64_t> scratch_;  // aligned copies of misaligned payloads
  OtlpEncoderGroups groups_;
  std::vector<std::unique_ptr<Side>> sides_;  // indexed by scope group; [0] unused
};

}  // namespace spool::engine

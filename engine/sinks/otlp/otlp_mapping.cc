// The record -> OTLP mapping pieces both OTLP encoders share (see otlp_mapping.h).
#include "engine/sinks/otlp/otlp_mapping.h"

#include <cstdio>
#include <cstring>

#include "spool/record_verify.h"

namespace spool::engine {

std::string_view otlp_signal_path(OtlpSignal signal) noexcept {
  switch (signal) {
    case OtlpSignal::kTraces:
      return "/v1/traces";
    case OtlpSignal::kLogs:
      return "/v1/logs";
    case OtlpSignal::kMetrics:
      return "/v1/metrics";
  }
  return "/v1/logs";
}

std::string_view otlp_signal_name(OtlpSignal signal) noexcept {
  switch (signal) {
    case OtlpSignal::kTraces:
      return "traces";
    case OtlpSignal::kLogs:
      return "logs";
    case OtlpSignal::kMetrics:
      return "metrics";
  }
  return "logs";
}

std::uint32_t otlp_span_kind(fb::SpanType type) noexcept {
  constexpr std::uint32_t kInternal = 1;
  constexpr std::uint32_t kClient = 3;
  switch (type) {
    case fb::SpanType::Generation:
    case fb::SpanType::Retrieval:
      return kClient;
    default:
      return kInternal;
  }
}

std::string_view span_type_name(fb::SpanType type) noexcept {
  switch (type) {
    case fb::SpanType::Span:
      return "span";
    case fb::SpanType::Generation:
      return "generation";
    case fb::SpanType::Tool:
      return "tool";
    case fb::SpanType::Retrieval:
      return "retrieval";
    case fb::SpanType::Event:
      return "event";
  }
  return "unknown";
}

std::string_view raw_record_type(RecordKind kind, std::array<char, 32>& buf) noexcept {
  if (kind == RecordKind::kRawFrame) return "raw";
  const int n = std::snprintf(buf.data(), buf.size(), "frame-type-%u", static_cast<unsigned>(kind));
  return {buf.data(), static_cast<std::size_t>(n)};
}

OtlpOrigin otlp_origin(RecordKind kind, std::span<const std::uint8_t> payload) noexcept {
  switch (kind) {
    case RecordKind::kSpan: {
      const auto* s = flatbuffers::GetRoot<fb::Span>(payload.data());
      return {s->resource(), s->scope()};
    }
    case RecordKind::kLog: {
      const auto* l = flatbuffers::GetRoot<fb::LogRecord>(payload.data());
      return {l->resource(), l->scope()};
    }
    case RecordKind::kMetric: {
      const auto* m = flatbuffers::GetRoot<fb::Metric>(payload.data());
      return {m->resource(), m->scope()};
    }
    default:
      return {};
  }
}

bool has_attribute_key(const flatbuffers::Vector<flatbuffers::Offset<fb::Attribute>>* list,
                       std::string_view key) noexcept {
  if (list == nullptr) return false;
  for (const fb::Attribute* a : *list) {
    const auto* k = a->key();
    if (k != nullptr && std::string_view(k->data(), k->size()) == key) return true;
  }
  return false;
}

std::span<const std::uint8_t> checked_payload(const ForwardRecord& record,
                                              std::vector<std::uint64_t>& scratch,
                                              Status* error) {
  std::span<const std::uint8_t> bytes = record.payload;
  switch (record.kind) {
    case RecordKind::kSpan:
    case RecordKind::kLog:
    case RecordKind::kMetric:
    case RecordKind::kRecord:
      break;
    default:
      return bytes;  // raw bytes: nothing to verify
  }
  // Log payloads are 8-byte aligned; a caller's copy may not be, and the verifier (rightly)
  // refuses tables the accessors would read misaligned.
  if (!bytes.empty() && reinterpret_cast<std::uintptr_t>(bytes.data()) % 8 != 0) {
    scratch.resize((bytes.size() + 7) / 8);
    std::memcpy(scratch.data(), bytes.data(), bytes.size());
    bytes = {reinterpret_cast<const std::uint8_t*>(scratch.data()), bytes.size()};
  }
  if (record.verified) return bytes;  // verified on append, checksum-checked on read
  Status s = verify_encoded(record.kind, bytes);
  if (!s) {
    if (error != nullptr) *error = std::move(s);
    return {};
  }
  return bytes;
}

}  // namespace spool::engine

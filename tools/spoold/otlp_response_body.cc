#include "tools/spoold/otlp_response_body.h"

#include <nlohmann/json.hpp>

#include "engine/sinks/otlp/protobuf_writer.h"

namespace spool::tools {

namespace {

constexpr std::uint32_t kResponsePartialSuccess = 1;
constexpr std::uint32_t kPartialRejected = 1;
constexpr std::uint32_t kPartialErrorMessage = 2;
constexpr std::uint32_t kStatusCode = 1;
constexpr std::uint32_t kStatusMessage = 2;

std::string_view rejected_json_name(engine::OtlpSignal signal) noexcept {
  switch (signal) {
    case engine::OtlpSignal::kTraces: return "rejectedSpans";
    case engine::OtlpSignal::kLogs: return "rejectedLogRecords";
    case engine::OtlpSignal::kMetrics: return "rejectedDataPoints";
  }
  return "rejectedSpans";
}

}  // namespace

std::string_view otlp_content_type(engine::OtlpFormat format) noexcept {
  return format == engine::OtlpFormat::kJson ? "application/json" : "application/x-protobuf";
}

std::string otlp_export_response(engine::OtlpSignal signal, engine::OtlpFormat format,
                                 std::uint64_t rejected, std::string_view message) {
  if (format == engine::OtlpFormat::kJson) {
    nlohmann::ordered_json j = nlohmann::ordered_json::object();
    if (rejected > 0 || !message.empty()) {
      // int64 fields are strings in OTLP/JSON (protobuf's JSON mapping).
      j["partialSuccess"][std::string(rejected_json_name(signal))] = std::to_string(rejected);
      j["partialSuccess"]["errorMessage"] = std::string(message);
    }
    return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  }
  std::string out;
  if (rejected > 0 || !message.empty()) {
    engine::StringProtobufWriter w(&out);
    const auto partial = w.begin_message(kResponsePartialSuccess);
    if (rejected > 0) w.field_varint(kPartialRejected, rejected);
    if (!message.empty()) w.field_string(kPartialErrorMessage, message);
    w.end_message(partial);
    w.finish();
  }
  return out;
}

std::string otlp_error_status(engine::OtlpFormat format, int grpc_code, std::string_view message) {
  if (format == engine::OtlpFormat::kJson) {
    nlohmann::ordered_json j;
    j["code"] = grpc_code;
    j["message"] = std::string(message);
    return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  }
  std::string out;
  engine::StringProtobufWriter w(&out);
  w.field_varint(kStatusCode, static_cast<std::uint64_t>(grpc_code));
  w.field_string(kStatusMessage, message);
  w.finish();
  return out;
}

}  // namespace spool::tools

// The bodies spoold answers OTLP/HTTP requests with, in the request's own encoding (the
// OTLP/HTTP specification: a response uses the Content-Type of its request):
//   - 200: Export{Trace,Logs,Metrics}ServiceResponse, with partial_success when items were
//     rejected (collector/*/v1/*_service.proto: partial_success = 1 { int64 rejected_<items>
//     = 1; string error_message = 2; });
//   - 4xx/5xx: google.rpc.Status { int32 code = 1; string message = 2; }.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "engine/ingest/otlp_request_decoder.h"
#include "engine/sinks/otlp/otlp_mapping.h"

namespace spool::tools {

// "application/x-protobuf" or "application/json".
std::string_view otlp_content_type(engine::OtlpFormat format) noexcept;

// A success body: empty message (protobuf) / `{}` (JSON) when nothing was rejected.
std::string otlp_export_response(engine::OtlpSignal signal, engine::OtlpFormat format,
                                 std::uint64_t rejected, std::string_view message);

// An error body. `grpc_code` is google.rpc.Code (3 INVALID_ARGUMENT, 8 RESOURCE_EXHAUSTED,
// 14 UNAVAILABLE, 16 UNAUTHENTICATED, ...).
std::string otlp_error_status(engine::OtlpFormat format, int grpc_code, std::string_view message);

}  // namespace spool::tools

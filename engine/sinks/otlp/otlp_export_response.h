// What an OTLP receiver answers to an accepted export: Export{Trace,Logs,Metrics}ServiceResponse
// { Export*PartialSuccess partial_success = 1 } with partial_success { int64 rejected_<items>
// = 1; string error_message = 2 } (collector/*/v1/*_service.proto), in protobuf or in JSON.
//
// spool's convention on top (for receivers that can name what they rejected): an
// error_message containing "spool-rejected-offsets:" followed by comma-separated decimal log
// offsets names the rejected records, which are then retried; a bare count is only counted,
// as the OTLP specification says such data must not be retried.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "spool/status.h"

namespace spool::engine {

struct OtlpPartialSuccess {
  std::int64_t rejected = 0;  // rejected_spans / rejected_log_records / rejected_data_points
  std::string error_message;
};

inline constexpr std::string_view kRejectedOffsetsMarker = "spool-rejected-offsets:";

// An empty body is an empty response (everything accepted). A body that is not a valid
// response of its encoding is an error (the caller treats the export as accepted anyway: the
// status code said so).
Result<OtlpPartialSuccess> parse_otlp_export_response(std::string_view body, bool json);

// The offsets after kRejectedOffsetsMarker in `message`, appended to *offsets; false when the
// marker is absent. Parsing stops at the first character that is neither a digit, a comma nor
// a space.
bool parse_rejected_offsets(std::string_view message, std::vector<std::uint64_t>* offsets);

}  // namespace spool::engine

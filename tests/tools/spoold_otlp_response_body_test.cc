#include "tools/spoold/otlp_response_body.h"

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

namespace spool::tools {
namespace {

using engine::OtlpFormat;
using engine::OtlpSignal;

TEST(SpooldOtlpResponseBody, AFullSuccessIsAnEmptyMessage) {
  EXPECT_EQ(otlp_export_response(OtlpSignal::kTraces, OtlpFormat::kProtobuf, 0, ""), "");
  EXPECT_EQ(otlp_export_response(OtlpSignal::kTraces, OtlpFormat::kJson, 0, ""), "{}");
}

TEST(SpooldOtlpResponseBody, PartialSuccessNamesTheRejectedItemsOfEachSignal) {
  const auto j = [](OtlpSignal s) {
    return nlohmann::json::parse(otlp_export_response(s, OtlpFormat::kJson, 2, "span 1: bad trace_id"));
  };
  EXPECT_EQ(j(OtlpSignal::kTraces)["partialSuccess"]["rejectedSpans"], "2");
  EXPECT_EQ(j(OtlpSignal::kLogs)["partialSuccess"]["rejectedLogRecords"], "2");
  EXPECT_EQ(j(OtlpSignal::kMetrics)["partialSuccess"]["rejectedDataPoints"], "2");
  EXPECT_EQ(j(OtlpSignal::kTraces)["partialSuccess"]["errorMessage"], "span 1: bad trace_id");
  // protobuf: field 1 (partial_success) { field 1 varint 2, field 2 "x" }.
  const std::string pb = otlp_export_response(OtlpSignal::kLogs, OtlpFormat::kProtobuf, 2, "x");
  EXPECT_EQ(pb, std::string("\x0a\x05\x08\x02\x12\x01x", 7));
}

TEST(SpooldOtlpResponseBody, ErrorsAreGoogleRpcStatus) {
  EXPECT_EQ(otlp_error_status(OtlpFormat::kProtobuf, 3, "bad"), std::string("\x08\x03\x12\x03" "bad", 7));
  const auto j = nlohmann::json::parse(otlp_error_status(OtlpFormat::kJson, 14, "shutting down"));
  EXPECT_EQ(j["code"], 14);
  EXPECT_EQ(j["message"], "shutting down");
}

}  // namespace
}  // namespace spool::tools

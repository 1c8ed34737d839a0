// Redaction end to end: a Buffer's spans, logs and Records forwarded through redacting sinks
// to a real OTLP/HTTP receiver on loopback, to a JSON-lines file and to a sink that takes
// spool's native compressed batch. What each receiver got holds none of the redacted text
// (not in the request bodies, not in the file, not in the decompressed native batches), the
// hashed values arrive as their keyed hashes, and every record arrives once per sink with its
// idempotency key.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/forward/batch_compressor.h"
#include "engine/forward/hmac_sha256.h"
#include "engine/forward/native_batch.h"
#include "spool/buffer.h"
#include "spool/callback_sink.h"
#include "spool/forwarder.h"
#include "spool/jsonl_file_sink.h"
#include "spool/otlp_http_sink.h"
#include "spool/records_generated.h"
#include "spool/redacting_sink.h"
#include "support/otlp_receiver.h"
#include "support/temp_dir.h"
#include "support/time_scale.h"

namespace spool {
namespace {

using std::chrono::milliseconds;

constexpr int kSpans = 300;
constexpr int kLogs = 100;
constexpr int kRecords = 20;
constexpr std::uint64_t kTotal = kSpans + kLogs + kRecords;
constexpr std::string_view kRules = "input,output:hash,tool:truncate=8,user.email,body:hash,data";
constexpr std::string_view kKey = "integration-test-redaction-key";

std::string prompt(int i) { return "SECRET-PROMPT-" + std::to_string(i) + " what is my password?"; }
std::string completion(int i) { return "SECRET-COMPLETION-" + std::to_string(i); }
std::string tool_input(int i) { return "toolarg:SECRET-TOOL-INPUT-" + std::to_string(i); }
std::string email(int i) { return "SECRET-EMAIL-" + std::to_string(i) + "@example.com"; }
std::string log_body(int i) { return "SECRET-LOG-BODY-" + std::to_string(i); }
std::string record_data(int i) { return "SECRET-RECORD-DATA-" + std::to_string(i); }

// Every text no sink may receive (for records 0..n), and a marker common to all of them.
constexpr std::string_view kSecretMarker = "SECRET-";

std::string hmac(std::string_view value) {
  auto h = engine::HmacSha256::create(kKey);
  std::string out;
  EXPECT_TRUE(h.is_ok() && h->text(value, &out));
  return out;
}

void append_records(Buffer& buffer) {
  for (int i = 0; i < kSpans; ++i) {
    const std::string p = prompt(i), c = completion(i), t = tool_input(i), e = email(i);
    const std::string session = "session-" + std::to_string(i);
    const Attribute attributes[] = {Attribute::string("user.email", e),
                                    Attribute::string("session.id", session)};
    const Attribute event_attributes[] = {Attribute::string("user.email", e)};
    const SpanEvent events[] = {SpanEvent{"retry", 10, event_attributes}};
    Span s;
    s.trace_id.bytes.fill(static_cast<std::uint8_t>(i + 1));
    s.span_id.bytes.fill(static_cast<std::uint8_t>(i + 1));
    s.name = "generation";
    s.type = SpanType::kGeneration;
    s.start_ns = 1000;
    s.end_ns = 2000;
    s.model = "model-x";
    s.input = p;
    s.output = c;
    s.tool_name = "search";
    s.tool_input = t;
    s.tool_output = "tooldata:SECRET-TOOL-OUTPUT";
    s.attributes = attributes;
    s.events = events;
    ASSERT_TRUE(buffer.append(s));
  }
  for (int i = 0; i < kLogs; ++i) {
    const std::string body = log_body(i), e = email(i);
    const Attribute attributes[] = {Attribute::string("user.email", e)};
    LogRecord l;
    l.time_ns = 5;
    l.severity_number = 9;
    l.body = body;
    l.attributes = attributes;
    ASSERT_TRUE(buffer.append(l));
  }
  for (int i = 0; i < kRecords; ++i) {
    const std::string data = record_data(i);
    ASSERT_TRUE(buffer.append(RawRecord{
        "prediction", std::span(reinterpret_cast<const std::uint8_t*>(data.data()), data.size())}));
  }
  ASSERT_TRUE(buffer.flush());
}

ForwarderOptions options(std::string cursor) {
  ForwarderOptions o;
  o.cursor = std::move(cursor);
  o.flush_interval_ms = 20;
  o.poll_interval_ms = 10;
  o.batch.initial_records = 64;
  o.batch.min_records = 16;
  o.batch.max_records = 128;
  return o;
}

std::unique_ptr<Sink> redacting(std::unique_ptr<Sink> inner) {
  auto rules = parse_redaction_rules(kRules);
  EXPECT_TRUE(rules.is_ok()) << rules.status().to_string();
  RedactionOptions o;
  o.rules = *rules;
  o.hash_key = std::string(kKey);
  auto sink = make_redacting_sink(std::move(inner), std::move(o));
  EXPECT_TRUE(sink.is_ok()) << sink.status().to_string();
  return std::move(*sink);
}

// Forwards the whole log through `sink` on its own cursor and stops.
void forward_all(Buffer& buffer, std::unique_ptr<Sink> sink, const std::string& cursor) {
  auto forwarder = Forwarder::start(buffer, std::move(sink), options(cursor));
  ASSERT_TRUE(forwarder.is_ok()) << forwarder.status().to_string();
  const Status flushed =
      (*forwarder)
          ->flush(static_cast<std::uint32_t>(testing::scaled(milliseconds(60'000)).count()));
  EXPECT_TRUE(flushed) << flushed.to_string();
  const ForwarderStats stats = (*forwarder)->stats();
  EXPECT_EQ(stats.session.delivered, kTotal) << cursor;
  EXPECT_EQ(stats.session.dead_lettered, 0u) << cursor;
  ASSERT_TRUE((*forwarder)->stop());
}

class RedactionIntegration : public ::testing::Test {
 protected:
  void SetUp() override {
    Options o;
    auto buffer = Buffer::open(dir_.sub("log"), o);
    ASSERT_TRUE(buffer.is_ok()) << buffer.status().to_string();
    buffer_ = std::move(*buffer);
    append_records(*buffer_);
  }

  testing::TempDir dir_;
  std::unique_ptr<Buffer> buffer_;
};

TEST_F(RedactionIntegration, TheOtlpReceiverGetsNoneOfTheRedactedText) {
  for (OtlpHttpOptions::Encoding encoding :
       {OtlpHttpOptions::Encoding::kProtobuf, OtlpHttpOptions::Encoding::kJson}) {
    const bool json = encoding == OtlpHttpOptions::Encoding::kJson;
    testing::OtlpReceiver receiver;
    ASSERT_TRUE(receiver.start());
    OtlpHttpOptions http;
    http.endpoint = receiver.endpoint();
    http.encoding = encoding;
    auto otlp = make_otlp_http_sink(http);
    ASSERT_TRUE(otlp.is_ok()) << otlp.status().to_string();
    forward_all(*buffer_, redacting(std::move(*otlp)), json ? "otlp-json" : "otlp-protobuf");

    // Every record arrived, once.
    const auto keys = receiver.delivered_keys();
    EXPECT_EQ(keys.size(), kTotal);
    for (const auto& [key, times] : keys) EXPECT_EQ(times, 1u) << key;

    std::size_t spans = 0, logs = 0, records = 0;
    for (const testing::OtlpReceiver::RequestInfo& request : receiver.requests()) {
      // Not in the request body (after Content-Encoding), in any form.
      EXPECT_EQ(request.body.find(kSecretMarker), std::string::npos) << request.path;
      EXPECT_EQ(request.body.find("what is my password"), std::string::npos);
      for (const testing::OtlpItem& item : request.items) {
        const auto& a = item.attributes;
        const auto offset = testing::parse_idempotency_key(item.idempotency_key());
        ASSERT_TRUE(offset.has_value());
        if (item.signal == testing::OtlpSignal::kTraces) {
          const int i = static_cast<int>(offset->offset);
          ++spans;
          EXPECT_FALSE(a.contains("gen_ai.prompt"));
          EXPECT_FALSE(a.contains("user.email"));
          ASSERT_TRUE(a.contains("gen_ai.completion"));
          EXPECT_EQ(a.at("gen_ai.completion"), hmac(completion(i)));
          EXPECT_EQ(a.at("gen_ai.tool.call.arguments"), "toolarg:");
          EXPECT_EQ(a.at("gen_ai.tool.call.result"), "tooldata");         // truncated to 8 bytes
          EXPECT_EQ(a.at("session.id"), "session-" + std::to_string(i));  // kept
          EXPECT_EQ(a.at("gen_ai.request.model"), "model-x");
          ASSERT_EQ(item.events.size(), 1u);
          EXPECT_TRUE(item.events[0].attributes.empty());
        } else if (a.contains("spool.record_type")) {
          ++records;
          EXPECT_EQ(a.at("spool.record_type"), "prediction");
        } else {
          const int i = static_cast<int>(offset->offset) - kSpans;
          ++logs;
          EXPECT_EQ(item.value, hmac(log_body(i)));
          EXPECT_FALSE(a.contains("user.email"));
        }
      }
    }
    EXPECT_EQ(spans, static_cast<std::size_t>(kSpans));
    EXPECT_EQ(logs, static_cast<std::size_t>(kLogs));
    EXPECT_EQ(records, static_cast<std::size_t>(kRecords));
  }
}

TEST_F(RedactionIntegration, TheJsonLinesFileGetsNoneOfTheRedactedText) {
  const std::string path = dir_.sub("out.jsonl");
  auto file = make_jsonl_file_sink(path);
  ASSERT_TRUE(file.is_ok()) << file.status().to_string();
  forward_all(*buffer_, redacting(std::move(*file)), "file");
  const std::string text = testing::read_file(path);
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), static_cast<std::ptrdiff_t>(kTotal));
  EXPECT_EQ(text.find(kSecretMarker), std::string::npos);
  EXPECT_NE(text.find(hmac(completion(0))), std::string::npos);
  EXPECT_NE(text.find(hmac(log_body(kLogs - 1))), std::string::npos);
}

TEST_F(RedactionIntegration, TheNativeCompressedBatchGetsNoneOfTheRedactedText) {
  std::mutex mu;
  std::vector<std::uint64_t> offsets;
  std::string natives;  // every decompressed batch, back to back
  auto callback = make_callback_sink(
      [&](const ForwardBatch& batch) {
        EXPECT_FALSE(batch.compressed.empty());
        auto decompressed = engine::BatchCompressor::decompress(batch.compressed, 64 << 20);
        EXPECT_TRUE(decompressed.is_ok()) << decompressed.status().to_string();
        if (!decompressed.is_ok()) return FlushResult::failed("cannot decompress");
        auto decoded = engine::decode_native_batch(*decompressed);
        EXPECT_TRUE(decoded.is_ok());
        std::lock_guard lock(mu);
        if (decoded.is_ok()) {
          for (const engine::NativeRecord& r : *decoded) offsets.push_back(r.offset);
        }
        natives.append(decompressed->begin(), decompressed->end());
        return FlushResult::succeeded(batch.compressed.size());
      },
      /*wants_compressed=*/true);
  forward_all(*buffer_, redacting(std::move(callback)), "native");
  std::lock_guard lock(mu);
  ASSERT_EQ(offsets.size(), kTotal);
  for (std::uint64_t i = 0; i < kTotal; ++i) EXPECT_EQ(offsets[i], i);
  EXPECT_EQ(natives.find(kSecretMarker), std::string::npos);
  EXPECT_NE(natives.find(hmac(completion(kSpans - 1))), std::string::npos);
}

}  // namespace
}  // namespace spool

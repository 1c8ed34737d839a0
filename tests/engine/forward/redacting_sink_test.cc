// The redacting sink decorator: the wrapped sink gets redacted payloads and everything else
// of the batch as it was; its answer comes back unchanged; the native compressed batch it
// may want is made from the redacted records, never the forwarder's.
#include "spool/redacting_sink.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <optional>

#include "engine/forward/batch_compressor.h"
#include "engine/forward/native_batch.h"
#include "spool/callback_sink.h"
#include "spool/record_encoder.h"
#include "spool/record_verify.h"
#include "spool/records_generated.h"
#include "support/test_batch.h"

namespace spool {
namespace {

constexpr std::string_view kPrompt = "the user's secret prompt";
constexpr std::string_view kCompletion = "the model's secret completion";

bool contains(std::span<const std::uint8_t> bytes, std::string_view text) {
  return std::search(bytes.begin(), bytes.end(), text.begin(), text.end()) != bytes.end();
}

// What the wrapped sink saw of each send, copied out.
struct Seen {
  struct Record {
    ForwardRecord header;  // payload cleared (it dangles after send)
    std::vector<std::uint8_t> payload;
  };
  std::uint64_t log_id = 0, first_offset = 0, last_offset = 0;
  std::uint32_t attempt = 0;
  std::vector<Record> records;
  std::vector<std::uint8_t> compressed;
  std::uint64_t uncompressed_bytes = 0;
  std::uint32_t dictionary_id = 0;
};

std::unique_ptr<Sink> recording_sink(std::vector<Seen>* seen, bool wants_compressed,
                                     FlushResult answer) {
  return make_callback_sink(
      [seen, answer](const ForwardBatch& batch) {
        Seen s;
        s.log_id = batch.log_id;
        s.first_offset = batch.first_offset;
        s.last_offset = batch.last_offset;
        s.attempt = batch.attempt;
        for (const ForwardRecord& r : batch.records) {
          ForwardRecord header = r;
          header.payload = {};
          s.records.push_back({header, {r.payload.begin(), r.payload.end()}});
          // Every payload handed on is aligned for the accessors and, if a table, verifies.
          EXPECT_EQ(reinterpret_cast<std::uintptr_t>(r.payload.data()) % 8, 0u);
          if (r.kind != RecordKind::kRawFrame && !r.payload.empty()) {
            EXPECT_TRUE(verify_encoded(r.kind, r.payload));
          }
        }
        s.compressed.assign(batch.compressed.begin(), batch.compressed.end());
        s.uncompressed_bytes = batch.uncompressed_bytes;
        s.dictionary_id = batch.dictionary_id;
        seen->push_back(std::move(s));
        return answer;
      },
      wants_compressed);
}

std::unique_ptr<Sink> redacting(std::unique_ptr<Sink> inner, std::string_view rules) {
  auto parsed = parse_redaction_rules(rules);
  EXPECT_TRUE(parsed.is_ok()) << parsed.status().to_string();
  RedactionOptions o;
  o.rules = *parsed;
  o.hash_key = "0123456789abcdef";
  auto sink = make_redacting_sink(std::move(inner), std::move(o));
  EXPECT_TRUE(sink.is_ok()) << sink.status().to_string();
  return std::move(*sink);
}

// A batch of: a generation span (offset 10), a log (11, high priority), a raw frame that
// happens to hold the prompt (13), and a span no rule touches (14).
class Records {
 public:
  Records() : batch_(0xfeedface, 1234) {
    Span s;
    s.trace_id.bytes.fill(1);
    s.span_id.bytes.fill(2);
    s.name = "generation";
    s.input = kPrompt;
    s.output = kCompletion;
    batch_.add(encoder_.encode(s), 10, std::int64_t{111});
    LogRecord l;
    l.body = kPrompt;
    l.priority = Priority::kHigh;
    batch_.add(encoder_.encode(l), 11, Priority::kHigh);
    const std::string raw(kPrompt);
    batch_.add_bytes(RecordKind::kRawFrame,
                     std::span(reinterpret_cast<const std::uint8_t*>(raw.data()), raw.size()), 13);
    Span plain;
    plain.trace_id.bytes.fill(3);
    plain.span_id.bytes.fill(4);
    plain.name = "plain";
    const EncodedRecord p = encoder_.encode(plain);
    plain_.assign(p.bytes.begin(), p.bytes.end());
    batch_.add(p, 14);
  }
  ForwardBatch batch() const { return batch_.batch(); }
  const std::vector<std::uint8_t>& plain() const { return plain_; }

 private:
  RecordEncoder encoder_;
  testing::TestBatch batch_;
  std::vector<std::uint8_t> plain_;
};

TEST(RedactingSink, TheWrappedSinkGetsRedactedRecordsAndEverythingElseAsItWas) {
  std::vector<Seen> seen;
  auto sink =
      redacting(recording_sink(&seen, false, FlushResult::succeeded(77)), "input,output:hash,body");
  const Records records;
  ForwardBatch batch = records.batch();
  batch.attempt = 3;
  const FlushResult result = sink->send(batch);
  EXPECT_EQ(result.outcome, FlushResult::Outcome::kSucceeded);
  EXPECT_EQ(result.bytes_sent, 77u);
  ASSERT_EQ(seen.size(), 1u);
  const Seen& s = seen[0];
  EXPECT_EQ(s.log_id, batch.log_id);
  EXPECT_EQ(s.first_offset, 10u);
  EXPECT_EQ(s.last_offset, 14u);
  EXPECT_EQ(s.attempt, 3u);
  ASSERT_EQ(s.records.size(), batch.records.size());
  for (std::size_t i = 0; i < s.records.size(); ++i) {
    EXPECT_EQ(s.records[i].header.offset, batch.records[i].offset);
    EXPECT_EQ(s.records[i].header.timestamp_ns, batch.records[i].timestamp_ns);
    EXPECT_EQ(s.records[i].header.kind, batch.records[i].kind);
    EXPECT_EQ(s.records[i].header.priority, batch.records[i].priority);
  }
  EXPECT_EQ(s.records[1].header.priority, Priority::kHigh);
  const auto* span = flatbuffers::GetRoot<fb::Span>(s.records[0].payload.data());
  EXPECT_EQ(span->input(), nullptr);
  ASSERT_NE(span->output(), nullptr);
  EXPECT_TRUE(span->output()->string_view().starts_with("hmac-sha256:"));
  EXPECT_EQ(span->name()->str(), "generation");
  EXPECT_EQ(flatbuffers::GetRoot<fb::LogRecord>(s.records[1].payload.data())->body(), nullptr);
  // The raw frame is bytes: passed as they are (documented).
  EXPECT_TRUE(contains(s.records[2].payload, kPrompt));
  // A record no rule touches: byte for byte the original.
  EXPECT_EQ(s.records[3].payload, records.plain());
  for (int i : {0, 1}) {
    EXPECT_FALSE(contains(s.records[i].payload, kPrompt));
    EXPECT_FALSE(contains(s.records[i].payload, kCompletion));
  }
  // No compressed batch for a sink that does not want one.
  EXPECT_TRUE(s.compressed.empty());
}

TEST(RedactingSink, TheAnswerComesBackUnchanged) {
  std::vector<Seen> seen;
  FlushResult partial = FlushResult::partial({11}, "record 11 refused", false);
  partial.rejected_unnamed = 2;
  partial.retry_after_ms = 9;
  partial.bytes_sent = 5;
  auto sink = redacting(recording_sink(&seen, false, partial), "input");
  const Records records;
  const FlushResult r = sink->send(records.batch());
  EXPECT_EQ(r.outcome, FlushResult::Outcome::kPartial);
  EXPECT_EQ(r.failed_offsets, std::vector<std::uint64_t>{11});
  EXPECT_EQ(r.error, "record 11 refused");
  EXPECT_FALSE(r.retryable);
  EXPECT_EQ(r.rejected_unnamed, 2u);
  EXPECT_EQ(r.retry_after_ms, 9u);
  EXPECT_EQ(r.bytes_sent, 5u);

  FlushResult outage = FlushResult::unavailable("down", 100, SinkOutage::kBusy);
  outage.payload_too_large = true;
  auto busy = redacting(recording_sink(&seen, false, outage), "input");
  const FlushResult b = busy->send(records.batch());
  EXPECT_EQ(b.outcome, FlushResult::Outcome::kFailed);
  EXPECT_EQ(b.outage, SinkOutage::kBusy);
  EXPECT_TRUE(b.payload_too_large);
  EXPECT_EQ(b.retry_after_ms, 100u);
}

TEST(RedactingSink, TheNativeBatchIsMadeFromTheRedactedRecords) {
  std::vector<Seen> seen;
  auto sink = redacting(recording_sink(&seen, true, FlushResult::succeeded()), "input,output,body");
  // The forwarder must not compress the unredacted records for it.
  EXPECT_FALSE(sink->wants_compressed_batch());
  const Records records;
  ForwardBatch batch = records.batch();
  // Even a batch that arrives with the forwarder's native batch does not pass it on.
  std::vector<std::uint8_t> native;
  ASSERT_TRUE(engine::encode_native_batch(batch.records, &native));
  engine::BatchCompressor compressor(1);
  auto original = compressor.compress(native);
  ASSERT_TRUE(original.is_ok());
  batch.compressed = *original;
  batch.uncompressed_bytes = native.size();
  ASSERT_TRUE(sink->send(batch).outcome == FlushResult::Outcome::kSucceeded);
  ASSERT_EQ(seen.size(), 1u);
  const Seen& s = seen[0];
  ASSERT_FALSE(s.compressed.empty());
  EXPECT_EQ(s.dictionary_id, 0u);
  auto decompressed = engine::BatchCompressor::decompress(s.compressed, 1 << 20);
  ASSERT_TRUE(decompressed.is_ok()) << decompressed.status().to_string();
  EXPECT_EQ(decompressed->size(), s.uncompressed_bytes);
  auto decoded = engine::decode_native_batch(*decompressed);
  ASSERT_TRUE(decoded.is_ok());
  ASSERT_EQ(decoded->size(), s.records.size());
  for (std::size_t i = 0; i < decoded->size(); ++i) {
    const engine::NativeRecord& n = (*decoded)[i];
    EXPECT_EQ(n.offset, s.records[i].header.offset);
    EXPECT_EQ(n.timestamp_ns, s.records[i].header.timestamp_ns);
    EXPECT_EQ(n.kind, static_cast<std::uint16_t>(s.records[i].header.kind));
    EXPECT_EQ(priority_from_flags(n.flags), s.records[i].header.priority);
    EXPECT_TRUE(std::equal(n.payload.begin(), n.payload.end(), s.records[i].payload.begin(),
                           s.records[i].payload.end()));
  }
  // Neither the prompt nor the completion is in the tables (the raw frame holds the prompt
  // as bytes, and is passed as it is).
  for (std::size_t i : {0u, 1u, 3u}) {
    EXPECT_FALSE(contains((*decoded)[i].payload, kPrompt));
    EXPECT_FALSE(contains((*decoded)[i].payload, kCompletion));
  }
}

TEST(RedactingSink, APayloadThatIsNotATableIsPassedEmpty) {
  std::vector<Seen> seen;
  auto sink = redacting(recording_sink(&seen, true, FlushResult::succeeded()), "input");
  testing::TestBatch batch;
  const std::string garbage = "not a table but holds the secret prompt";
  batch.add_bytes(RecordKind::kSpan,
                  std::span(reinterpret_cast<const std::uint8_t*>(garbage.data()), garbage.size()),
                  5);
  ASSERT_EQ(sink->send(batch.batch()).outcome, FlushResult::Outcome::kSucceeded);
  ASSERT_EQ(seen.size(), 1u);
  ASSERT_EQ(seen[0].records.size(), 1u);
  EXPECT_TRUE(seen[0].records[0].payload.empty());
  EXPECT_EQ(seen[0].records[0].header.offset, 5u);
  auto decompressed = engine::BatchCompressor::decompress(seen[0].compressed, 1 << 20);
  ASSERT_TRUE(decompressed.is_ok());
  EXPECT_FALSE(contains(*decompressed, "secret"));
}

TEST(RedactingSink, ManyBatchesReuseTheirStorage) {
  std::vector<Seen> seen;
  auto sink = redacting(recording_sink(&seen, true, FlushResult::succeeded()), "input:hash");
  for (int round = 0; round < 50; ++round) {
    const Records records;
    ASSERT_EQ(sink->send(records.batch()).outcome, FlushResult::Outcome::kSucceeded);
  }
  ASSERT_EQ(seen.size(), 50u);
  // The same record redacts to the same bytes every time (the hash is stable).
  for (const Seen& s : seen) EXPECT_EQ(s.records[0].payload, seen[0].records[0].payload);
}

TEST(RedactingSink, NameAndWarningsAreTheWrappedSinks) {
  std::vector<Seen> seen;
  auto sink = redacting(recording_sink(&seen, false, FlushResult::succeeded()), "input");
  EXPECT_EQ(sink->name(), "callback");
  EXPECT_TRUE(sink->configuration_warnings().empty());
}

TEST(RedactingSink, NoRulesWrapsNothingBadRulesAreRefused) {
  std::vector<Seen> seen;
  auto inner = recording_sink(&seen, true, FlushResult::succeeded());
  Sink* raw = inner.get();
  auto same = make_redacting_sink(std::move(inner), {});
  ASSERT_TRUE(same.is_ok());
  EXPECT_EQ(same->get(), raw);
  EXPECT_TRUE((*same)->wants_compressed_batch());

  RedactionOptions no_key;
  no_key.rules = {RedactionRule{"input", RedactAction::kHash, 0}};
  auto refused =
      make_redacting_sink(recording_sink(&seen, false, FlushResult::succeeded()), no_key);
  ASSERT_FALSE(refused.is_ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(make_redacting_sink(nullptr, {}).is_ok());
}

}  // namespace
}  // namespace spool

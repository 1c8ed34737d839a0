// make_callback_sink: the function sees each batch as sent and its answer is the sink's.
#include "spool/callback_sink.h"

#include <gtest/gtest.h>

#include <vector>

namespace spool {
namespace {

TEST(CallbackSink, PassesBatchesAndAnswers) {
  std::vector<std::uint64_t> seen;
  int calls = 0;
  auto sink = make_callback_sink([&](const ForwardBatch& b) {
    ++calls;
    for (const ForwardRecord& r : b.records) seen.push_back(r.offset);
    if (calls == 2) return FlushResult::partial({b.records[0].offset}, "first one failed");
    return FlushResult::succeeded(b.records.size());
  });
  EXPECT_EQ(sink->name(), "callback");
  EXPECT_FALSE(sink->wants_compressed_batch());

  std::vector<ForwardRecord> records(3);
  for (std::size_t i = 0; i < records.size(); ++i) records[i].offset = 100 + i;
  ForwardBatch batch;
  batch.log_id = 1;
  batch.first_offset = 100;
  batch.last_offset = 102;
  batch.records = records;

  const FlushResult a = sink->send(batch);
  EXPECT_EQ(a.outcome, FlushResult::Outcome::kSucceeded);
  EXPECT_EQ(a.bytes_sent, 3u);
  const FlushResult b = sink->send(batch);
  EXPECT_EQ(b.outcome, FlushResult::Outcome::kPartial);
  EXPECT_EQ(b.failed_offsets, std::vector<std::uint64_t>{100});
  EXPECT_EQ(b.error, "first one failed");
  EXPECT_EQ(seen, (std::vector<std::uint64_t>{100, 101, 102, 100, 101, 102}));
}

TEST(CallbackSink, WantsCompressedWhenAsked) {
  auto sink = make_callback_sink([](const ForwardBatch& b) {
    return b.compressed.empty() ? FlushResult::failed("no compressed batch") : FlushResult::succeeded();
  }, /*wants_compressed=*/true);
  EXPECT_TRUE(sink->wants_compressed_batch());
  const std::uint8_t bytes[] = {1, 2, 3};
  ForwardBatch batch;
  batch.compressed = bytes;
  EXPECT_EQ(sink->send(batch).outcome, FlushResult::Outcome::kSucceeded);
  EXPECT_EQ(sink->send(ForwardBatch{}).outcome, FlushResult::Outcome::kFailed);
}

TEST(CallbackSink, EmptyFunctionFailsRetryably) {
  auto sink = make_callback_sink(nullptr);
  const FlushResult r = sink->send(ForwardBatch{});
  EXPECT_EQ(r.outcome, FlushResult::Outcome::kFailed);
  EXPECT_TRUE(r.retryable);
}

}  // namespace
}  // namespace spool

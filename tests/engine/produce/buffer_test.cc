// spool::Buffer and engine::BufferCore: records reach the log in order, flush and shutdown
// drain, each full-queue policy drops what it says and counts it, stats add up.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "engine/produce/buffer_core.h"
#include "segment/segment_log.h"
#include "spool/buffer.h"
#include "spool/record_encoder.h"
#include "spool/record_verify.h"
#include "support/seq_records.h"
#include "support/small_buffer.h"
#include "support/temp_dir.h"
#include "support/time_scale.h"

namespace spool {
namespace {

using testing::append_seq;
using testing::read_seq_records;
using testing::SeqRecord;
using testing::open_small_buffer;
using testing::small_buffer_options;
using testing::TempDir;

// Options whose queue holds only a few dozen small records, for the full-queue policies.
Options tiny_queue(FullPolicy policy) {
  Options o = small_buffer_options();
  o.queue_bytes = 8192;
  o.min_queue_bytes = 8192;
  o.producer_ring_bytes = 8192;
  o.full_policy = policy;
  return o;
}

std::unique_ptr<engine::BufferCore> open_core(const std::string& dir, const Options& o) {
  auto core = engine::BufferCore::open(dir, o);
  EXPECT_TRUE(core.is_ok()) << core.status().to_string();
  return core ? std::move(core.value()) : nullptr;
}

void expect_invariant(const BufferStats& s) {
  EXPECT_EQ(s.appended, s.written + s.dropped_total() + s.queue_depth)
      << "written " << s.written << " dropped " << s.dropped_total() << " depth " << s.queue_depth;
}

std::uint64_t dropped(const BufferStats& s, DropReason r) { return s.dropped[static_cast<std::size_t>(r)]; }

TEST(BufferTest, SpansReachTheLogAsVerifiedRecords) {
  TempDir dir;
  auto buffer = Buffer::open(dir.path(), small_buffer_options());
  ASSERT_TRUE(buffer.is_ok()) << buffer.status().to_string();
  Attribute attrs[] = {Attribute::string("env", "production"), Attribute::integer("n", 7)};
  Span span;
  span.name = "llm-call";
  span.type = SpanType::kGeneration;
  span.attributes = attrs;
  span.priority = Priority::kHigh;
  for (int i = 0; i < 100; ++i) ASSERT_TRUE((*buffer)->append(span).is_ok());
  LogRecord log;
  log.body = "hello";
  ASSERT_TRUE((*buffer)->append(log).is_ok());
  Metric metric;
  metric.name = "tokens";
  ASSERT_TRUE((*buffer)->append(metric).is_ok());
  ASSERT_TRUE((*buffer)->flush().is_ok());
  EXPECT_EQ((*buffer)->committed_offset(), 102u);

  auto reader_log = segment::SegmentLog::open(dir.path(), LogOptions{}, segment::OpenMode::kReadOnly);
  ASSERT_TRUE(reader_log.is_ok());
  segment::LogReader reader = (*reader_log)->scan(0);
  segment::RecordView view;
  std::vector<std::uint16_t> types;
  while (reader.next(&view)) {
    types.push_back(view.type);
    EXPECT_TRUE(verify_encoded(static_cast<RecordKind>(view.type), view.payload).is_ok());
    // The writer verified it: readers that check the frame need not verify again.
    EXPECT_NE(view.flags & kVerifiedFlag, 0) << view.offset;
    EXPECT_GT(view.timestamp_ns, 0);  // buffered-at time
    if (view.type == static_cast<std::uint16_t>(RecordKind::kSpan)) {
      EXPECT_EQ(priority_from_flags(view.flags), Priority::kHigh);
    }
  }
  ASSERT_EQ(types.size(), 102u);
  EXPECT_EQ(types[0], static_cast<std::uint16_t>(RecordKind::kSpan));
  EXPECT_EQ(types[100], static_cast<std::uint16_t>(RecordKind::kLog));
  EXPECT_EQ(types[101], static_cast<std::uint16_t>(RecordKind::kMetric));

  BufferStats s = (*buffer)->stats();
  EXPECT_EQ(s.appended, 102u);
  EXPECT_EQ(s.written, 102u);
  EXPECT_EQ(s.queue_depth, 0u);
  EXPECT_EQ(s.dropped_total(), 0u);
  EXPECT_EQ(s.committed_offset, 102u);
  EXPECT_GE(s.write_batches, 1u);
  EXPECT_EQ(s.batch_records.count, s.write_batches);
  expect_invariant(s);
}

TEST(BufferTest, ShutdownDrainsEverythingWithoutFlush) {
  TempDir dir;
  {
    auto buffer = Buffer::open(dir.path(), small_buffer_options());
    ASSERT_TRUE(buffer.is_ok());
    for (std::uint64_t i = 0; i < 5000; ++i) ASSERT_TRUE(append_seq(**buffer, 0, i, 100).is_ok());
    ASSERT_TRUE((*buffer)->shutdown().is_ok());
    EXPECT_EQ((*buffer)->stats().written, 5000u);
    // After shutdown appends are refused and counted.
    EXPECT_EQ(append_seq(**buffer, 0, 5000).code(), StatusCode::kClosed);
    EXPECT_EQ(dropped((*buffer)->stats(), DropReason::kShutdown), 1u);
    expect_invariant((*buffer)->stats());
  }
  std::vector<SeqRecord> got = read_seq_records(dir.path());
  ASSERT_EQ(got.size(), 5000u);
  for (std::uint64_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i].seq, i);
}

TEST(BufferTest, DestructorShutsDownAndReopenContinuesOffsets) {
  TempDir dir;
  {
    auto buffer = Buffer::open(dir.path(), small_buffer_options());
    ASSERT_TRUE(buffer.is_ok());
    for (std::uint64_t i = 0; i < 10; ++i) ASSERT_TRUE(append_seq(**buffer, 0, i).is_ok());
  }
  auto buffer = Buffer::open(dir.path(), small_buffer_options());
  ASSERT_TRUE(buffer.is_ok()) << buffer.status().to_string();
  EXPECT_EQ((*buffer)->committed_offset(), 10u);
  ASSERT_TRUE(append_seq(**buffer, 0, 10).is_ok());
  ASSERT_TRUE((*buffer)->flush().is_ok());
  EXPECT_EQ((*buffer)->committed_offset(), 11u);
}

TEST(BufferTest, RejectsBadOptionsWithAMessage) {
  TempDir dir;
  Options o = small_buffer_options();
  o.min_queue_bytes = o.queue_bytes + 1;
  auto b = Buffer::open(dir.path(), o);
  ASSERT_FALSE(b.is_ok());
  EXPECT_EQ(b.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(b.status().message().find("min_queue_bytes"), std::string::npos);
  o = small_buffer_options();
  o.sample_keep_one_in = 0;
  EXPECT_EQ(Buffer::open(dir.path(), o).status().code(), StatusCode::kInvalidArgument);
  o = small_buffer_options();
  o.producer_ring_bytes = 100;
  EXPECT_EQ(Buffer::open(dir.path(), o).status().code(), StatusCode::kInvalidArgument);
}

TEST(BufferTest, SecondBufferOnTheSameDirectoryAttachesUnlessItMustWrite) {
  TempDir dir;
  auto first = Buffer::open(dir.path(), small_buffer_options());
  ASSERT_TRUE(first.is_ok());
  EXPECT_EQ((*first)->role(), Role::kWriter);
  auto second = Buffer::open(dir.path(), small_buffer_options());
  ASSERT_TRUE(second.is_ok()) << second.status().to_string();
  EXPECT_EQ((*second)->role(), Role::kAttach);
  Options must_write = small_buffer_options();
  must_write.role = Role::kWriter;
  auto third = Buffer::open(dir.path(), must_write);
  ASSERT_FALSE(third.is_ok());
  EXPECT_EQ(third.status().code(), StatusCode::kLocked);
}

TEST(BufferTest, TooLargeRecordIsRefusedAndCounted) {
  TempDir dir;
  Options o = small_buffer_options();
  o.log.max_record_bytes = 1024;
  auto buffer = Buffer::open(dir.path(), o);
  ASSERT_TRUE(buffer.is_ok());
  EXPECT_EQ(append_seq(**buffer, 0, 0, 2000).code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(append_seq(**buffer, 0, 1, 100).is_ok());
  ASSERT_TRUE((*buffer)->flush().is_ok());
  BufferStats s = (*buffer)->stats();
  EXPECT_EQ(dropped(s, DropReason::kTooLarge), 1u);
  EXPECT_EQ(s.written, 1u);
  expect_invariant(s);
}

// A record larger than a segment holds, though under max_record_bytes, could never be
// written: it is refused at the door (every append overload), counted too_large, and the
// records after it are written.
TEST(BufferTest, ARecordLargerThanASegmentHoldsIsRefusedAtTheDoorAndTheRestIsWritten) {
  TempDir dir;
  Options o = small_buffer_options();
  o.log.segment_bytes = 64 * 1024;  // max_record_bytes left at its default (up to 4 MiB)
  o.producer_ring_bytes = 1 << 20;  // the ring would take the record
  auto buffer = Buffer::open(dir.path(), o);
  ASSERT_TRUE(buffer.is_ok()) << buffer.status().to_string();
  ASSERT_TRUE(append_seq(**buffer, 0, 0, 100).is_ok());
  Status refused = append_seq(**buffer, 0, 1, 100 * 1024);
  EXPECT_EQ(refused.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(refused.message().find("too large"), std::string::npos) << refused.message();
  const std::vector<std::uint8_t> big(80 * 1024, 0x5a);
  EXPECT_EQ((*buffer)->append(EncodedRecord{RecordKind::kRecord, Priority::kNormal, big}).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ((*buffer)->append(RawRecord{"blob", big}).code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(append_seq(**buffer, 0, 2, 100).is_ok());
  ASSERT_TRUE((*buffer)->flush(60'000).is_ok());
  BufferStats s = (*buffer)->stats();
  EXPECT_EQ(dropped(s, DropReason::kTooLarge), 3u);
  EXPECT_EQ(s.written, 2u);
  EXPECT_EQ(s.write_errors, 0u) << s.last_write_error;
  expect_invariant(s);
  ASSERT_TRUE((*buffer)->shutdown().is_ok());
  const std::vector<SeqRecord> records = read_seq_records(dir.path());
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].seq, 0u);
  EXPECT_EQ(records[1].seq, 2u);
}

TEST(BufferTest, AMaxRecordBytesThatDoesNotFitInASegmentIsRefusedAtOpen) {
  TempDir dir;
  Options o = small_buffer_options();
  o.log.segment_bytes = 64 * 1024;
  o.log.max_record_bytes = 1 << 20;
  auto buffer = Buffer::open(dir.path(), o);
  ASSERT_FALSE(buffer.is_ok());
  EXPECT_EQ(buffer.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(buffer.status().message().find("1048576"), std::string::npos) << buffer.status().message();
  EXPECT_NE(buffer.status().message().find("65536"), std::string::npos) << buffer.status().message();
}

TEST(BufferTest, CheckedAppendRefusesMalformedBytesAndKeepsTheLogIntact) {
  TempDir dir;
  auto buffer = Buffer::open(dir.path(), small_buffer_options());
  ASSERT_TRUE(buffer.is_ok());
  ASSERT_TRUE(append_seq(**buffer, 0, 0).is_ok());
  alignas(8) std::uint8_t garbage[64];
  for (std::size_t i = 0; i < sizeof garbage; ++i) garbage[i] = static_cast<std::uint8_t>(i * 37 + 11);
  EncodedRecord bad{RecordKind::kSpan, Priority::kNormal, garbage};
  Status s = (*buffer)->append_checked(bad);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(s.message().empty());
  // A valid record passes the same check.
  RecordEncoder encoder;
  LogRecord log;
  log.body = "fine";
  EXPECT_TRUE((*buffer)->append_checked(encoder.encode(log)).is_ok());
  ASSERT_TRUE((*buffer)->flush().is_ok());
  BufferStats st = (*buffer)->stats();
  EXPECT_EQ(dropped(st, DropReason::kMalformed), 1u);
  EXPECT_EQ(st.written, 2u);
  expect_invariant(st);
}

TEST(BufferPolicyTest, DropNewestKeepsTheFirstRecordsAndCountsTheRest) {
  TempDir dir;
  auto core = open_core(dir.path(), tiny_queue(FullPolicy::kDropNewest));
  core->set_writer_paused(true);
  std::uint64_t accepted = 0, refused = 0;
  for (std::uint64_t i = 0; i < 500; ++i) {
    Status s = append_seq(*core, 0, i, 64);
    if (s.is_ok()) {
      EXPECT_EQ(refused, 0u) << "accepted after a refusal while the writer is paused";
      ++accepted;
    } else {
      EXPECT_EQ(s.code(), StatusCode::kFull);
      ++refused;
    }
  }
  EXPECT_GT(accepted, 0u);
  EXPECT_GT(refused, 0u);
  BufferStats s = core->stats();
  EXPECT_EQ(dropped(s, DropReason::kQueueFull), refused);
  EXPECT_EQ(s.queue_depth, accepted);
  EXPECT_LE(s.queue_bytes, 8192u);
  expect_invariant(s);
  core->set_writer_paused(false);
  ASSERT_TRUE(core->flush(0).is_ok());
  expect_invariant(core->stats());
  ASSERT_TRUE(core->shutdown().is_ok());
  std::vector<SeqRecord> got = read_seq_records(dir.path());
  ASSERT_EQ(got.size(), accepted);
  for (std::uint64_t i = 0; i < accepted; ++i) EXPECT_EQ(got[i].seq, i);
}

TEST(BufferPolicyTest, DropOldestKeepsTheNewestRecords) {
  TempDir dir;
  auto core = open_core(dir.path(), tiny_queue(FullPolicy::kDropOldest));
  core->set_writer_paused(true);
  for (std::uint64_t i = 0; i < 500; ++i) ASSERT_TRUE(append_seq(*core, 0, i, 64).is_ok());
  BufferStats s = core->stats();
  const std::uint64_t evicted = dropped(s, DropReason::kDropOldest);
  EXPECT_GT(evicted, 0u);
  EXPECT_EQ(s.queue_depth, 500 - evicted);
  expect_invariant(s);
  core->set_writer_paused(false);
  ASSERT_TRUE(core->flush(0).is_ok());
  ASSERT_TRUE(core->shutdown().is_ok());
  std::vector<SeqRecord> got = read_seq_records(dir.path());
  ASSERT_EQ(got.size(), 500 - evicted);
  for (std::uint64_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i].seq, evicted + i);
}

TEST(BufferPolicyTest, SampleKeepsOneInNAboveTheThresholdAndAllHighPriority) {
  TempDir dir;
  Options o = tiny_queue(FullPolicy::kSample);
  o.queue_bytes = o.min_queue_bytes = o.producer_ring_bytes = 64 * 1024;
  o.sample_above_fill = 0.25;
  o.sample_keep_one_in = 4;
  auto core = open_core(dir.path(), o);
  core->set_writer_paused(true);
  std::uint64_t ok = 0, sampled = 0, high_refused = 0;
  for (std::uint64_t i = 0; i < 400; ++i) {
    const Priority p = i % 10 == 0 ? Priority::kCritical : Priority::kNormal;
    Status s = append_seq(*core, 0, i, 64, p);
    if (s.is_ok()) {
      ++ok;
    } else if (p == Priority::kCritical) {
      ++high_refused;
    } else if (s.message() == "sampled out") {
      ++sampled;
    }
  }
  EXPECT_EQ(high_refused, 0u);
  EXPECT_GT(sampled, 0u);
  BufferStats s = core->stats();
  EXPECT_EQ(dropped(s, DropReason::kSampled), sampled);
  expect_invariant(s);
  core->set_writer_paused(false);
  ASSERT_TRUE(core->shutdown().is_ok());
  std::vector<SeqRecord> got = read_seq_records(dir.path());
  EXPECT_EQ(got.size(), ok);
  std::uint64_t critical = 0;
  for (const SeqRecord& r : got) critical += r.priority == Priority::kCritical;
  EXPECT_EQ(critical, 40u);
  // Below the threshold nothing is sampled: the first records are all there.
  for (std::uint64_t i = 0; i < 20; ++i) EXPECT_EQ(got[i].seq, i);
}

TEST(BufferPolicyTest, BlockTimesOutWhileTheWriterIsStuck) {
  TempDir dir;
  Options o = tiny_queue(FullPolicy::kBlock);
  o.block_timeout_ms = 30;
  auto core = open_core(dir.path(), o);
  core->set_writer_paused(true);
  std::uint64_t i = 0;
  Status s;
  while ((s = append_seq(*core, 0, i, 64)).is_ok()) ++i;
  EXPECT_EQ(s.code(), StatusCode::kTimedOut);
  EXPECT_EQ(dropped(core->stats(), DropReason::kBlockTimeout), 1u);
  expect_invariant(core->stats());
}

TEST(BufferPolicyTest, BlockWaitsForRoomInsteadOfDropping) {
  TempDir dir;
  Options o = tiny_queue(FullPolicy::kBlock);
  o.block_timeout_ms = 60'000;  // never reached: the writer resumes
  auto core = open_core(dir.path(), o);
  core->set_writer_paused(true);
  std::atomic<bool> done{false};
  std::thread producer([&] {
    for (std::uint64_t i = 0; i < 2000; ++i) ASSERT_TRUE(append_seq(*core, 0, i, 64).is_ok());
    done = true;
  });
  // The producer fills the queue and blocks; resuming the writer lets it finish.
  while (core->stats().queue_bytes + 100 < 8192 && !done) std::this_thread::yield();
  EXPECT_FALSE(done.load());
  core->set_writer_paused(false);
  producer.join();
  ASSERT_TRUE(core->shutdown().is_ok());
  BufferStats s = core->stats();
  EXPECT_EQ(s.dropped_total(), 0u);
  EXPECT_EQ(s.written, 2000u);
  std::vector<SeqRecord> got = read_seq_records(dir.path());
  ASSERT_EQ(got.size(), 2000u);
  for (std::uint64_t k = 0; k < got.size(); ++k) EXPECT_EQ(got[k].seq, k);
}

TEST(BufferTest, FlushTimesOutWhileTheWriterIsPaused) {
  TempDir dir;
  auto core = open_core(dir.path(), small_buffer_options());
  core->set_writer_paused(true);
  ASSERT_TRUE(append_seq(*core, 0, 0).is_ok());
  EXPECT_EQ(core->flush(20).code(), StatusCode::kTimedOut);
  core->set_writer_paused(false);
  EXPECT_TRUE(core->flush(0).is_ok());
}

TEST(BufferTest, SyncSucceedsInEveryMode) {
  for (Durability d : {Durability::kNone, Durability::kInterval, Durability::kBatch}) {
    TempDir dir;
    Options o = small_buffer_options();
    o.log.durability = d;
    o.log.sync_interval_ms = 5;
    auto buffer = Buffer::open(dir.path(), o);
    ASSERT_TRUE(buffer.is_ok());
    for (std::uint64_t i = 0; i < 100; ++i) ASSERT_TRUE(append_seq(**buffer, 0, i).is_ok());
    ASSERT_TRUE((*buffer)->sync().is_ok());
    BufferStats s = (*buffer)->stats();
    EXPECT_EQ(s.written, 100u);
    EXPECT_GE(s.syncs, 1u);
  }
}

TEST(BufferTest, IntervalModeSyncsAnIdleLogOnItsTimer) {
  TempDir dir;
  Options o = small_buffer_options();
  o.log.durability = Durability::kInterval;
  // Long enough that a write right after a sync does not sync itself; on a loaded machine it
  // may still (more than 200 ms passed), leaving nothing for the timer: then another round.
  o.log.sync_interval_ms = 200;
  auto buffer = Buffer::open(dir.path(), o);
  ASSERT_TRUE(buffer.is_ok());
  bool timer_synced = false;
  for (std::uint64_t round = 0; round < 20 && !timer_synced; ++round) {
    // A sync first, so that the write below comes right after one (not long after the last,
    // which would make the writer sync at once, before the flush returns).
    ASSERT_TRUE((*buffer)->sync().is_ok());
    for (std::uint64_t i = 0; i < 10; ++i) ASSERT_TRUE(append_seq(**buffer, 0, round * 10 + i).is_ok());
    ASSERT_TRUE((*buffer)->flush().is_ok());
    const std::uint64_t syncs_after_flush = (*buffer)->stats().syncs;
    // No further append, flush or sync: only the writer's timer can sync now. Poll (no
    // timing assertion) until it has, or give this round up.
    const auto give_up = std::chrono::steady_clock::now() + spool::testing::scaled(std::chrono::milliseconds(3000));
    while (std::chrono::steady_clock::now() < give_up && !timer_synced) {
      timer_synced = (*buffer)->stats().syncs > syncs_after_flush;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  EXPECT_TRUE(timer_synced);
}

TEST(BufferTest, WriterBatchesStopAtWriterBatchBytes) {
  TempDir dir;
  auto core = open_core(dir.path(), [] {
    Options o = small_buffer_options();
    o.writer_batch_bytes = 16 * 1024;
    return o;
  }());
  core->set_writer_paused(true);  // let a backlog build up, then drain it
  for (std::uint64_t i = 0; i < 1000; ++i) ASSERT_TRUE(append_seq(*core, 0, i, 1000).is_ok());
  core->set_writer_paused(false);
  ASSERT_TRUE(core->flush(0).is_ok());
  BufferStats s = core->stats();
  // Each record's payload is a little over 1000 bytes: at most 16 fit under the cap, plus
  // the one that crosses it.
  EXPECT_LE(s.batch_records.max, 17u);
  EXPECT_GE(s.write_batches, 1000u / 17);
  EXPECT_EQ(s.written, 1000u);
}

TEST(BufferTest, StatsReportTheBudget) {
  TempDir dir;
  Options o = small_buffer_options();
  o.queue_bytes = 1 << 20;
  o.min_queue_bytes = 1 << 16;
  auto buffer = Buffer::open(dir.path(), o);
  ASSERT_TRUE(buffer.is_ok());
  BufferStats s = (*buffer)->stats();
  EXPECT_EQ(s.queue_budget_bytes, 1u << 20);
  EXPECT_EQ(s.budget_resizes, 0u);
}

}  // namespace
}  // namespace spool

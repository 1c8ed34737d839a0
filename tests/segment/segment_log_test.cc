// SegmentLog's API: appends, reads, batches, validation, modes, time seek, reopen.
#include "segment/segment_log.h"
#include "segment/log_checkpoint.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "support/log_helpers.h"
#include "support/temp_dir.h"

namespace spool::segment {
namespace {

using spool::testing::bytes_of;
using spool::testing::as_string;
using spool::testing::open_log;
using spool::testing::sample_payload;
using spool::testing::read_all;
using spool::testing::small_segments;

TEST(SegmentLog, OffsetsStartAtZeroAndIncrease) {
  testing::TempDir dir;
  auto log = open_log(dir.path(), small_segments());
  ASSERT_NE(log, nullptr);
  EXPECT_EQ(log->next_offset(), 0u);
  EXPECT_EQ(log->first_offset(), 0u);
  for (std::uint64_t i = 0; i < 300; ++i) {
    auto off = log->append(3, bytes_of(sample_payload(i)));
    ASSERT_TRUE(off) << off.status().to_string();
    EXPECT_EQ(*off, i);
  }
  EXPECT_EQ(log->next_offset(), 300u);
  EXPECT_EQ(log->record_count(), 300u);
  EXPECT_GT(log->segment_count(), 3u);
  auto all = read_all(*log);
  ASSERT_EQ(all.size(), 300u);
  for (std::uint64_t i = 0; i < 300; ++i) EXPECT_EQ(all[i], sample_payload(i));
}

TEST(SegmentLog, ReadReturnsTypeTimestampAndPayload) {
  testing::TempDir dir;
  auto log = open_log(dir.path(), LogOptions{});
  ASSERT_NE(log, nullptr);
  ASSERT_TRUE(log->append(7, bytes_of("hello"), 1234567));
  auto v = log->read(0);
  ASSERT_TRUE(v) << v.status().to_string();
  EXPECT_EQ(v->type, 7);
  EXPECT_EQ(v->timestamp_ns, 1234567);
  EXPECT_EQ(as_string(v->payload), "hello");
  // Payloads are 8-byte aligned in the mapping (FlatBuffers can be read in place).
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(v->payload.data()) % 8, 0u);
  EXPECT_EQ(log->read(1).status().code(), StatusCode::kNotFound);
}

TEST(SegmentLog, DefaultTimestampIsNow) {
  testing::TempDir dir;
  auto log = open_log(dir.path(), LogOptions{});
  ASSERT_NE(log, nullptr);
  const auto before = std::chrono::system_clock::now().time_since_epoch();
  ASSERT_TRUE(log->append(0, bytes_of("x")));
  const auto after = std::chrono::system_clock::now().time_since_epoch();
  auto v = log->read(0);
  ASSERT_TRUE(v);
  EXPECT_GE(v->timestamp_ns, std::chrono::duration_cast<std::chrono::nanoseconds>(before).count());
  EXPECT_LE(v->timestamp_ns, std::chrono::duration_cast<std::chrono::nanoseconds>(after).count());
}

TEST(SegmentLog, EmptyPayloadIsARecord) {
  testing::TempDir dir;
  auto log = open_log(dir.path(), LogOptions{});
  ASSERT_NE(log, nullptr);
  ASSERT_TRUE(log->append(0, {}));
  auto v = log->read(0);
  ASSERT_TRUE(v);
  EXPECT_TRUE(v->payload.empty());
}

TEST(SegmentLog, BatchAssignsConsecutiveOffsetsAcrossRotations) {
  testing::TempDir dir;
  auto log = open_log(dir.path(), small_segments());
  ASSERT_NE(log, nullptr);
  std::vector<std::string> payloads;
  for (int i = 0; i < 200; ++i) payloads.push_back(sample_payload(i));
  std::vector<AppendRecord> batch;
  for (const auto& p : payloads) batch.push_back(AppendRecord{1, bytes_of(p)});
  auto first = log->append_batch(batch);
  ASSERT_TRUE(first) << first.status().to_string();
  EXPECT_EQ(*first, 0u);
  EXPECT_EQ(log->next_offset(), 200u);
  EXPECT_GT(log->segment_count(), 5u);
  auto all = read_all(*log);
  ASSERT_EQ(all.size(), 200u);
  for (int i = 0; i < 200; ++i) EXPECT_EQ(all[i], payloads[i]);
}

TEST(SegmentLog, OversizedRecordIsRejectedAndNothingIsWritten) {
  testing::TempDir dir;
  LogOptions o = small_segments();
  auto log = open_log(dir.path(), o);
  ASSERT_NE(log, nullptr);
  std::string big(5000, 'x');
  std::string ok = "fine";
  std::vector<AppendRecord> batch{{0, bytes_of(ok)}, {0, bytes_of(big)}};
  auto r = log->append_batch(batch);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("exceeds the maximum"), std::string::npos);
  EXPECT_EQ(log->next_offset(), 0u);
  EXPECT_TRUE(read_all(*log).empty());
  // The largest payload that fits in a segment is accepted.
  std::string largest(4096 - 64 - 40, 'y');
  EXPECT_TRUE(log->append(0, bytes_of(largest)));
}

TEST(SegmentLog, MaxRecordBytesIsEnforced) {
  testing::TempDir dir;
  LogOptions o;
  o.max_record_bytes = 100;
  auto log = open_log(dir.path(), o);
  ASSERT_NE(log, nullptr);
  EXPECT_TRUE(log->append(0, bytes_of(std::string(100, 'a'))));
  EXPECT_EQ(log->append(0, bytes_of(std::string(101, 'a'))).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(SegmentLog, AMaxRecordBytesThatDoesNotFitInASegmentIsRefusedAtOpen) {
  testing::TempDir dir;
  LogOptions o;
  o.segment_bytes = 4096;
  o.max_record_bytes = 4000;  // a segment of 4096 bytes holds a payload of at most 3992
  auto refused = SegmentLog::open(dir.path(), o);
  ASSERT_FALSE(refused.is_ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(refused.status().message().find("max_record_bytes 4000"), std::string::npos)
      << refused.status().message();
  EXPECT_NE(refused.status().message().find("4096"), std::string::npos) << refused.status().message();
  // A reader appends nothing: it may read with any bound.
  o.max_record_bytes = 3992;
  ASSERT_NE(open_log(dir.path(), o), nullptr);
  o.max_record_bytes = 1 << 20;
  EXPECT_TRUE(SegmentLog::open(dir.path(), o, OpenMode::kReadOnly).is_ok());
}

TEST(SegmentLog, TheDefaultMaxRecordBytesIsWhatASegmentHolds) {
  testing::TempDir dir;
  LogOptions o;
  o.segment_bytes = 4096;
  auto log = open_log(dir.path(), o);
  ASSERT_NE(log, nullptr);
  EXPECT_EQ(log->max_payload_bytes(), 3992u);
  EXPECT_EQ(segment_payload_room(4096), 3992u);
  EXPECT_TRUE(log->check_record(3992).is_ok());
  EXPECT_EQ(log->check_record(3993).code(), StatusCode::kInvalidArgument);
  testing::TempDir big;
  auto default_log = open_log(big.path(), LogOptions{});
  ASSERT_NE(default_log, nullptr);
  EXPECT_EQ(default_log->max_payload_bytes(), kDefaultMaxRecordBytes);
}

TEST(SegmentLog, BadOptionsAreErrors) {
  testing::TempDir dir;
  LogOptions o;
  o.segment_bytes = 64;
  EXPECT_EQ(SegmentLog::open(dir.path(), o).status().code(), StatusCode::kInvalidArgument);
  o = LogOptions{};
  o.index_interval_bytes = 0;
  EXPECT_EQ(SegmentLog::open(dir.path(), o).status().code(), StatusCode::kInvalidArgument);
  o = LogOptions{};
  o.durability = Durability::kInterval;
  o.sync_interval_ms = 0;
  EXPECT_EQ(SegmentLog::open(dir.path(), o).status().code(), StatusCode::kInvalidArgument);
}

TEST(SegmentLog, ReadOnlyOpenNeverWritesAndRejectsAppends) {
  testing::TempDir dir;
  {
    auto log = open_log(dir.path(), small_segments());
    ASSERT_NE(log, nullptr);
    for (int i = 0; i < 50; ++i) ASSERT_TRUE(log->append(0, bytes_of(sample_payload(i))));
  }
  auto listing_before = testing::segment_paths(dir.path());
  auto ro = open_log(dir.path(), small_segments(), OpenMode::kReadOnly);
  ASSERT_NE(ro, nullptr);
  EXPECT_EQ(read_all(*ro).size(), 50u);
  EXPECT_EQ(ro->append(0, bytes_of("no")).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(testing::segment_paths(dir.path()), listing_before);
}

TEST(SegmentLog, ReadOnlyOpenOfMissingDirectoryIsNotFound) {
  testing::TempDir dir;
  auto r = SegmentLog::open(dir.sub("nope"), LogOptions{}, OpenMode::kReadOnly);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find("does not exist"), std::string::npos);
}

TEST(SegmentLog, ReadOnlyReaderSeesAppendsOfALiveWriter) {
  testing::TempDir dir;
  auto writer = open_log(dir.path(), small_segments());
  ASSERT_NE(writer, nullptr);
  ASSERT_TRUE(writer->append(0, bytes_of("one")));
  auto reader = open_log(dir.path(), small_segments(), OpenMode::kReadOnly);
  ASSERT_NE(reader, nullptr);
  EXPECT_EQ(read_all(*reader).size(), 1u);
}

TEST(SegmentLog, ScanFromMiddleAndPastEnd) {
  testing::TempDir dir;
  auto log = open_log(dir.path(), small_segments());
  ASSERT_NE(log, nullptr);
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(log->append(0, bytes_of(sample_payload(i))));
  auto tail = read_all(*log, 57);
  ASSERT_EQ(tail.size(), 43u);
  EXPECT_EQ(tail.begin()->first, 57u);
  EXPECT_TRUE(read_all(*log, 100).empty());
  EXPECT_TRUE(read_all(*log, 1'000'000).empty());
}

TEST(SegmentLog, ReaderFollowsTheWriter) {
  testing::TempDir dir;
  auto log = open_log(dir.path(), small_segments());
  ASSERT_NE(log, nullptr);
  auto reader = log->scan(0);
  RecordView v;
  EXPECT_FALSE(reader.next(&v));
  for (std::uint64_t i = 0; i < 100; ++i) {
    ASSERT_TRUE(log->append(0, bytes_of(sample_payload(i))));
    ASSERT_TRUE(reader.next(&v));
    EXPECT_EQ(v.offset, i);
    EXPECT_FALSE(reader.next(&v));
  }
}

TEST(SegmentLog, ScanFromTimeFindsFirstRecordAtOrAfter) {
  testing::TempDir dir;
  auto log = open_log(dir.path(), small_segments());
  ASSERT_NE(log, nullptr);
  // Timestamps mostly increasing with a few going backwards.
  std::vector<std::int64_t> ts;
  for (int i = 0; i < 400; ++i) ts.push_back(1'000'000 + i * 10 - (i % 7 == 3 ? 25 : 0));
  for (int i = 0; i < 400; ++i) ASSERT_TRUE(log->append(0, bytes_of(sample_payload(i)), ts[i]));
  for (std::int64_t t : {0l, 1'000'000l, 1'000'995l, 1'002'000l, 1'003'990l}) {
    auto reader = log->scan_from_time(t);
    RecordView v;
    // Expected: the first offset whose timestamp is >= t.
    std::uint64_t expected = 400;
    for (int i = 0; i < 400; ++i) {
      if (ts[i] >= t) {
        expected = static_cast<std::uint64_t>(i);
        break;
      }
    }
    ASSERT_TRUE(reader.next(&v)) << "t=" << t;
    EXPECT_EQ(v.offset, expected) << "t=" << t;
  }
  auto past = log->scan_from_time(10'000'000);
  RecordView v;
  EXPECT_FALSE(past.next(&v));
}

TEST(SegmentLog, OperationsAfterCloseFail) {
  testing::TempDir dir;
  auto log = open_log(dir.path(), LogOptions{});
  ASSERT_NE(log, nullptr);
  ASSERT_TRUE(log->close());
  EXPECT_EQ(log->append(0, bytes_of("x")).status().code(), StatusCode::kClosed);
  EXPECT_TRUE(log->close());  // idempotent
}

TEST(SegmentLog, BatchDurabilitySyncsAndWorks) {
  testing::TempDir dir;
  LogOptions o = small_segments();
  o.durability = Durability::kBatch;
  auto log = open_log(dir.path(), o);
  ASSERT_NE(log, nullptr);
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(log->append(0, bytes_of(sample_payload(i))));
  EXPECT_TRUE(log->sync());
  EXPECT_EQ(read_all(*log).size(), 20u);
}

TEST(SegmentLog, RetentionBySizeDeletesOldestSealedSegments) {
  testing::TempDir dir;
  LogOptions o = small_segments();
  o.retention_bytes = 4096 * 4;
  auto log = open_log(dir.path(), o);
  ASSERT_NE(log, nullptr);
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(log->append(0, bytes_of(sample_payload(i))));
  EXPECT_LE(log->disk_bytes(), 4096u * 4);
  EXPECT_GT(log->first_offset(), 0u);
  auto all = read_all(*log);
  ASSERT_FALSE(all.empty());
  EXPECT_EQ(all.begin()->first, log->first_offset());
  EXPECT_EQ(all.rbegin()->first, 999u);
  EXPECT_EQ(all.size(), 1000 - log->first_offset());
  EXPECT_EQ(log->read(0).status().code(), StatusCode::kNotFound);
}

TEST(SegmentLog, RetentionByAgeDeletesSegmentsWithOnlyOldRecords) {
  testing::TempDir dir;
  LogOptions o = small_segments();
  auto log = open_log(dir.path(), o);
  ASSERT_NE(log, nullptr);
  const std::int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                               std::chrono::system_clock::now().time_since_epoch()).count();
  const std::int64_t hour = 3600ll * 1'000'000'000;
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(log->append(0, bytes_of(sample_payload(i)), now - 5 * hour));
  const std::uint64_t old_end = log->next_offset();
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(log->append(0, bytes_of(sample_payload(i)), now));
  ASSERT_TRUE(log->close());
  o.retention_max_age_ms = 3600 * 1000;
  log = open_log(dir.path(), o);  // retention runs on open
  ASSERT_NE(log, nullptr);
  // Everything left is either new or shares a segment with new records.
  const auto all = read_all(*log);
  ASSERT_FALSE(all.empty());
  EXPECT_GT(log->first_offset(), 0u);
  EXPECT_LE(log->first_offset(), old_end);
  EXPECT_EQ(all.rbegin()->first, 199u);
}

TEST(SegmentLog, ExistingLogIdIsKept) {
  testing::TempDir dir;
  std::uint64_t id;
  {
    auto log = open_log(dir.path(), LogOptions{});
    ASSERT_NE(log, nullptr);
    id = log->log_id();
    EXPECT_NE(id, 0u);
  }
  LogOptions o;
  o.log_id = 42;
  auto log = open_log(dir.path(), o);
  ASSERT_NE(log, nullptr);
  EXPECT_EQ(log->log_id(), id);
}

TEST(SegmentLog, SegmentFilesAreNamedByBaseOffset) {
  testing::TempDir dir;
  auto log = open_log(dir.path(), small_segments());
  ASSERT_NE(log, nullptr);
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(log->append(0, bytes_of(sample_payload(i))));
  auto segs = log->segments();
  ASSERT_GT(segs.size(), 1u);
  EXPECT_EQ(std::filesystem::path(segs[0]->path()).filename(), "00000000000000000000.seg");
  for (const auto& s : segs) {
    char name[32];
    std::snprintf(name, sizeof name, "%020llu.seg", static_cast<unsigned long long>(s->base_offset()));
    EXPECT_EQ(std::filesystem::path(s->path()).filename(), name);
    EXPECT_EQ(s->summary().first_offset, s->base_offset());
  }
}

}  // namespace
}  // namespace spool::segment

namespace spool::segment {
namespace {

// One writer thread appends (rotating, with retention deleting old segments) while a reader
// thread follows it: the reader sees every offset it has not lost to retention, in order,
// with intact payloads. Run under TSan by the tsan preset.
TEST(SegmentLogConcurrency, ReaderThreadFollowsWriterThroughRotationAndRetention) {
  testing::TempDir dir;
  LogOptions o;
  o.segment_bytes = 16 * 1024;
  o.retention_bytes = 16 * 1024 * 8;
  auto log = open_log(dir.path(), o);
  ASSERT_NE(log, nullptr);
  constexpr std::uint64_t kTotal = 20000;
  std::atomic<bool> done{false};
  std::thread writer([&] {
    std::vector<std::string> payloads;
    for (std::uint64_t i = 0; i < kTotal;) {
      payloads.clear();
      std::vector<AppendRecord> batch;
      for (int k = 0; k < 1 + static_cast<int>(i % 13) && i < kTotal; ++k, ++i) {
        payloads.push_back(sample_payload(i));
      }
      for (const auto& p : payloads) batch.push_back(AppendRecord{0, bytes_of(p)});
      ASSERT_TRUE(log->append_batch(batch));
    }
    done.store(true);
  });
  std::uint64_t seen = 0, last = 0;
  bool any = false;
  auto reader = log->scan(0);
  RecordView v;
  for (;;) {
    const bool finished = done.load();
    while (reader.next(&v)) {
      ASSERT_TRUE(!any || v.offset > last);
      ASSERT_EQ(as_string(v.payload), sample_payload(v.offset));
      any = true;
      last = v.offset;
      ++seen;
    }
    if (finished) break;
    std::this_thread::yield();
  }
  writer.join();
  EXPECT_EQ(last, kTotal - 1);
  EXPECT_GT(seen, 0u);
  EXPECT_EQ(reader.skipped_bytes(), 0u);
}

}  // namespace
}  // namespace spool::segment

namespace spool::segment {
namespace {

// Regression (fuzzing): a segment named beyond the offset space made the next offset wrap
// to 0. Such a file is not part of the log.
TEST(SegmentLogOffsetSpace, SegmentNamedBeyondTheOffsetSpaceIsIgnored) {
  testing::TempDir dir;
  // In a log (a directory with only that file is not one: see log_marker_test).
  ASSERT_NE(open_log(dir.path(), LogOptions{}), nullptr);
  testing::write_file(dir.sub("18446744073709551615.seg"), "");
  auto log = open_log(dir.path(), LogOptions{});
  ASSERT_NE(log, nullptr);
  EXPECT_EQ(log->next_offset(), 0u);
  auto a = log->append(0, bytes_of("a"));
  auto b = log->append(0, bytes_of("b"));
  ASSERT_TRUE(a && b);
  EXPECT_EQ(*a, 0u);
  EXPECT_EQ(*b, 1u);
}

// A closed log holding one record; returns its log id (for hand-written checkpoints).
std::uint64_t log_with_one_record(const std::string& dir) {
  auto log = open_log(dir, LogOptions{});
  if (log == nullptr) return 0;
  EXPECT_TRUE(log->append(0, bytes_of("zero")));
  return log->log_id();
}

// Regression (fuzzing): offsets 2^32 or more above a segment's base broke index lookups.
// The writer now rotates before an offset would leave its segment's span.
TEST(SegmentLogOffsetSpace, AppendsRotateBeforeLeavingTheSegmentOffsetSpan) {
  testing::TempDir dir;
  LogCheckpoint c;
  c.log_id = log_with_one_record(dir.path());
  ASSERT_FALSE(HasFatalFailure());
  c.next_offset = kSegmentOffsetSpan - 2;  // offsets up to here were handed out and lost
  testing::write_checkpoint(dir.path(), c);
  auto log = open_log(dir.path(), LogOptions{});
  ASSERT_NE(log, nullptr);
  ASSERT_EQ(log->next_offset(), kSegmentOffsetSpan - 2);
  for (int i = 0; i < 5; ++i) {
    auto off = log->append(0, bytes_of(sample_payload(i)));
    ASSERT_TRUE(off) << off.status().to_string();
    EXPECT_EQ(*off, kSegmentOffsetSpan - 2 + i);
  }
  auto segs = log->segments();
  ASSERT_EQ(segs.size(), 2u);
  EXPECT_EQ(segs[1]->base_offset(), kSegmentOffsetSpan);
  for (int i = 0; i < 5; ++i) {
    auto r = log->read(kSegmentOffsetSpan - 2 + i);
    ASSERT_TRUE(r) << r.status().to_string();
    EXPECT_EQ(as_string(r->payload), sample_payload(i));
  }
  auto all = read_all(*log);
  EXPECT_EQ(all.size(), 6u);
  EXPECT_EQ(read_all(*log, kSegmentOffsetSpan).size(), 3u);
}

TEST(SegmentLogOffsetSpace, CheckpointBeyondTheOffsetSpaceIsIgnored) {
  testing::TempDir dir;
  LogCheckpoint c;
  c.log_id = log_with_one_record(dir.path());
  ASSERT_FALSE(HasFatalFailure());
  c.next_offset = ~0ull;
  testing::write_checkpoint(dir.path(), c);
  auto log = open_log(dir.path(), LogOptions{});
  ASSERT_NE(log, nullptr);
  EXPECT_EQ(log->next_offset(), 1u);
  EXPECT_TRUE(log->recovery_report().full_scan);
}

}  // namespace
}  // namespace spool::segment

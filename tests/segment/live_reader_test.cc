// A read-only SegmentLog beside a live writer (segment_log.h, refresh()): it reads only what
// the writer committed, follows appends, rotation and retention, and never reports the
// writer's work in progress as damage.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "segment/log_state.h"
#include "segment/segment_log.h"
#include "support/child_process.h"
#include "support/log_helpers.h"
#include "support/temp_dir.h"
#include "support/time_scale.h"

namespace spool::segment {
namespace {

using spool::testing::bytes_of;
using spool::testing::ForkedChild;
using spool::testing::open_log;
using spool::testing::read_all;
using spool::testing::sample_payload;
using spool::testing::scaled;
using spool::testing::segment_paths;
using spool::testing::small_segments;
using spool::testing::TempDir;
using spool::testing::wait_committed;

TEST(LiveReader, RefreshFollowsAppendsAndRotation) {
  TempDir tmp;
  const std::string dir = tmp.sub("log");
  auto writer = open_log(dir, small_segments());
  ASSERT_TRUE(writer);
  for (std::uint64_t i = 0; i < 10; ++i) ASSERT_TRUE(writer->append(0, bytes_of(sample_payload(i))));
  auto reader = open_log(dir, small_segments(), OpenMode::kReadOnly);
  ASSERT_TRUE(reader);
  EXPECT_TRUE(reader->follows_live_writer());
  EXPECT_EQ(reader->next_offset(), 10u);
  LogReader cursor = reader->scan(0);
  RecordView v;
  std::uint64_t seen = 0;
  while (cursor.next(&v)) ASSERT_EQ(v.offset, seen++);
  EXPECT_EQ(seen, 10u);

  for (std::uint64_t i = 10; i < 300; ++i) ASSERT_TRUE(writer->append(0, bytes_of(sample_payload(i))));
  ASSERT_GT(writer->segment_count(), 3u);
  EXPECT_FALSE(cursor.next(&v));  // not refreshed: the view of the open
  ASSERT_TRUE(reader->refresh());
  EXPECT_EQ(reader->next_offset(), 300u);
  EXPECT_EQ(reader->segment_count(), writer->segment_count());
  while (cursor.next(&v)) {
    ASSERT_EQ(v.offset, seen);
    ASSERT_EQ(testing::as_string(v.payload), sample_payload(seen));
    ++seen;
  }
  EXPECT_EQ(seen, 300u);
  EXPECT_EQ(cursor.skipped_bytes(), 0u);
}

TEST(LiveReader, SegmentsDeletedByRetentionUnderAReaderAreNotAnError) {
  TempDir tmp;
  const std::string dir = tmp.sub("log");
  auto writer = open_log(dir, small_segments());
  ASSERT_TRUE(writer);
  for (std::uint64_t i = 0; i < 200; ++i) ASSERT_TRUE(writer->append(0, bytes_of(sample_payload(i))));
  auto reader = open_log(dir, small_segments(), OpenMode::kReadOnly);
  ASSERT_TRUE(reader);
  LogReader cursor = reader->scan(0);
  RecordView v;
  ASSERT_TRUE(cursor.next(&v));
  EXPECT_EQ(v.offset, 0u);

  writer->set_retention(8192, 0);  // keeps about the active segment only
  ASSERT_TRUE(writer->enforce_retention());
  for (std::uint64_t i = 200; i < 260; ++i) ASSERT_TRUE(writer->append(0, bytes_of(sample_payload(i))));
  const std::uint64_t first = writer->first_offset();
  ASSERT_GT(first, 1u);
  ASSERT_TRUE(reader->refresh());
  EXPECT_EQ(reader->first_offset(), first);
  EXPECT_EQ(reader->segment_count(), writer->segment_count());
  // The reader finishes the segment it holds (still mapped), then moves on to what is left.
  std::uint64_t last = v.offset;
  while (cursor.next(&v)) {
    ASSERT_GT(v.offset, last);
    last = v.offset;
  }
  EXPECT_TRUE(cursor.error().is_ok()) << cursor.error().to_string();
  EXPECT_EQ(last, 259u);
  // A new reader starts at the new first offset.
  auto fresh = read_all(*reader, 0);
  ASSERT_FALSE(fresh.empty());
  EXPECT_EQ(fresh.begin()->first, first);
  EXPECT_EQ(fresh.rbegin()->first, 259u);
}

// The writer (a child holding the lock) has committed 20 records and is in the middle of
// writing the 21st: its bytes are in the file but not committed.
TEST(LiveReader, TheWritersWorkInProgressIsNotReadNorDamageUntilItDies) {
  TempDir tmp;
  const std::string dir = tmp.sub("log");
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  ForkedChild child = ForkedChild::start([&]() -> int {
    ::close(ready[0]);
    auto log = SegmentLog::open(dir, LogOptions{});
    if (!log) return 10;
    for (std::uint64_t i = 0; i < 20; ++i) {
      if (!(*log)->append(0, bytes_of(sample_payload(i)))) return 11;
    }
    if (int rc = testing::write_torn_frame(**log); rc != 0) return rc;
    if (::write(ready[1], "x", 1) != 1) return 14;
    ::pause();  // holds the log until killed
    return 0;
  });
  ::close(ready[1]);
  char c;
  ASSERT_EQ(::read(ready[0], &c, 1), 1);
  ::close(ready[0]);

  auto live = open_log(dir, LogOptions{}, OpenMode::kReadOnly);
  ASSERT_TRUE(live);
  EXPECT_TRUE(live->follows_live_writer());
  EXPECT_EQ(live->writer().pid, child.pid());
  EXPECT_FALSE(live->recovery_report().found_damage());
  EXPECT_EQ(live->next_offset(), 20u);
  auto records = read_all(*live);
  EXPECT_EQ(records.size(), 20u);
  LogReader cursor = live->scan(0);
  RecordView v;
  while (cursor.next(&v)) {
  }
  EXPECT_EQ(cursor.skipped_bytes(), 0u);
  ASSERT_TRUE(live->refresh());
  EXPECT_EQ(live->next_offset(), 20u);

  // Once the writer is dead, the same bytes are a torn tail (the next writer cuts it).
  EXPECT_EQ(child.kill_and_wait(), 128 + SIGKILL);
  auto after = open_log(dir, LogOptions{}, OpenMode::kReadOnly);
  ASSERT_TRUE(after);
  EXPECT_FALSE(after->follows_live_writer());
  EXPECT_TRUE(after->recovery_report().found_damage());
  EXPECT_EQ(read_all(*after).size(), 20u);
}

// A writer appending in a loop in another process; read-only opens (and refreshes) in this
// one never see damage and read gap-free offsets.
TEST(LiveReader, ReadOnlyOpensBesideAnAppendingWriterSeeNoDamage) {
  TempDir tmp;
  const std::string dir = tmp.sub("log");
  ForkedChild child = ForkedChild::start([&]() -> int {
    LogOptions o = small_segments();
    o.segment_bytes = 64 * 1024;
    // An fdatasync per append paces the writer (the log stays small however slowly this
    // process reads) and commits only after each sync.
    o.durability = Durability::kBatch;
    auto log = SegmentLog::open(dir, o);
    if (!log) return 10;
    for (std::uint64_t i = 0;; ++i) {
      if (!(*log)->append(0, bytes_of(sample_payload(i)))) return 11;
    }
  });
  ASSERT_TRUE(wait_committed(dir, 100));
  std::uint64_t previous_end = 0;
  for (int round = 0; round < 30; ++round) {
    LogOptions o;
    o.full_recovery_scan = true;
    auto log = open_log(dir, o, OpenMode::kReadOnly);
    ASSERT_TRUE(log);
    EXPECT_FALSE(log->recovery_report().found_damage()) << "round " << round;
    for (int refresh = 0; refresh < 3; ++refresh) {
      ASSERT_TRUE(log->refresh());
      std::uint64_t expected = 0;
      LogReader cursor = log->scan(0);
      RecordView v;
      while (cursor.next(&v)) ASSERT_EQ(v.offset, expected++) << "round " << round;
      EXPECT_EQ(cursor.skipped_bytes(), 0u) << "round " << round;
      EXPECT_EQ(expected, log->next_offset());
      EXPECT_GE(expected, previous_end);
      previous_end = expected;
    }
  }
  EXPECT_EQ(child.try_wait(), std::nullopt) << "the writer failed";
}

// Threads: one appends through the writer, one refreshes a read-only log of the same
// directory, one reads it; the reader sees every record once, in order.
TEST(LiveReader, AReaderThreadFollowsAWriterThreadThroughRefreshes) {
  TempDir tmp;
  const std::string dir = tmp.sub("log");
  constexpr std::uint64_t kRecords = 3000;
  auto writer = open_log(dir, small_segments());
  ASSERT_TRUE(writer);
  auto follower = open_log(dir, small_segments(), OpenMode::kReadOnly);
  ASSERT_TRUE(follower);
  std::atomic<bool> done{false};
  std::thread appender([&] {
    for (std::uint64_t i = 0; i < kRecords; ++i) ASSERT_TRUE(writer->append(0, bytes_of(sample_payload(i))));
  });
  std::thread refresher([&] {
    while (!done.load()) ASSERT_TRUE(follower->refresh());
  });
  const auto deadline = std::chrono::steady_clock::now() + scaled(std::chrono::milliseconds(120'000));
  LogReader cursor = follower->scan(0);
  RecordView v;
  std::uint64_t expected = 0;
  while (expected < kRecords && std::chrono::steady_clock::now() < deadline) {
    if (!cursor.next(&v)) continue;
    ASSERT_EQ(v.offset, expected);
    ASSERT_EQ(testing::as_string(v.payload), sample_payload(expected));
    ++expected;
  }
  done = true;
  appender.join();
  refresher.join();
  EXPECT_EQ(expected, kRecords);
  EXPECT_EQ(cursor.skipped_bytes(), 0u);
}

}  // namespace
}  // namespace spool::segment

// Options::disk_full_policy: what the writer does when the log is at its size cap with records
// its cursors have not read. drop_oldest deletes them (the old behaviour, tested with
// retention); block, drop_newest and sample never delete an unread record to make room.
#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <set>

#include "segment/cursor_store.h"
#include "spool/buffer.h"
#include "support/forwarder_fixtures.h"
#include "support/log_helpers.h"
#include "support/seq_records.h"
#include "support/small_buffer.h"
#include "support/temp_dir.h"
#include "support/time_scale.h"

namespace spool {
namespace {

using testing::append_seq;
using testing::commit_cursor;
using testing::read_seq_records;
using testing::SeqRecord;

constexpr std::uint64_t kSegment = 64 << 10;
constexpr std::uint64_t kCap = 8 * kSegment;
constexpr std::size_t kPadding = 500;
constexpr std::uint64_t kRecords = 3 * kCap / kPadding;  // three times what the cap holds

std::uint32_t wait_ms() {
  return static_cast<std::uint32_t>(testing::scaled(std::chrono::seconds(60)).count());
}

std::unique_ptr<Buffer> open_capped(const std::string& dir, FullPolicy disk_policy) {
  Options o = testing::small_buffer_options();
  o.log.segment_bytes = kSegment;
  o.log.retention_bytes = kCap;
  o.disk_full_policy = disk_policy;
  o.full_policy = FullPolicy::kBlock;
  o.block_timeout_ms = 20;
  o.sample_keep_one_in = 4;
  auto buffer = Buffer::open(dir, o);
  EXPECT_TRUE(buffer.is_ok()) << buffer.status().to_string();
  return buffer ? std::move(*buffer) : nullptr;
}

// A forwarder that keeps up: its cursor at the end of what is written, until `done`.
bool read_along_until(Buffer& buffer, const std::string& dir, const std::function<bool()>& done) {
  return testing::eventually([&] {
    commit_cursor(dir, "forwarder", buffer.stats().written_end_offset);
    return done();
  });
}

std::uint64_t segment_file_bytes(const std::string& dir) {
  std::uint64_t total = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() == ".seg") total += e.file_size();
  }
  return total;
}

void expect_balanced(const BufferStats& s) {
  EXPECT_EQ(s.appended, s.written + s.dropped_total() + s.queue_depth);
}

// Seqs 0, 1, 2, ... with none missing: the log kept its oldest records.
void expect_gap_free_from_zero(const std::vector<SeqRecord>& records) {
  for (std::size_t i = 0; i < records.size(); ++i) {
    ASSERT_EQ(records[i].seq, i) << "record " << i;
  }
}

std::uint64_t disk_full(const BufferStats& s) {
  return s.dropped[static_cast<std::size_t>(DropReason::kDiskFull)];
}

// kRecords normal records, each acknowledged, then flushed.
void append_all(Buffer& buffer) {
  for (std::uint64_t i = 0; i < kRecords; ++i)
    ASSERT_TRUE(append_seq(buffer, 0, i, kPadding).is_ok());
  ASSERT_TRUE(buffer.flush(wait_ms()).is_ok());
}

TEST(BufferDiskCap, DropNewestDropsWhatArrivesAndKeepsEveryUnreadRecord) {
  testing::TempDir dir;
  auto buffer = open_capped(dir.path(), FullPolicy::kDropNewest);
  ASSERT_NE(buffer, nullptr);
  commit_cursor(dir.path(), "forwarder", 0);
  ASSERT_NO_FATAL_FAILURE(append_all(*buffer));
  const BufferStats s = buffer->stats();
  expect_balanced(s);
  EXPECT_EQ(s.appended, kRecords);
  EXPECT_GT(disk_full(s), 0u);
  EXPECT_EQ(s.written + disk_full(s), kRecords);  // nothing else dropped
  EXPECT_TRUE(s.at_cap);
  EXPECT_LE(segment_file_bytes(dir.path()), kCap);
  const auto records = read_seq_records(dir.path());
  EXPECT_EQ(records.size(), s.written);
  expect_gap_free_from_zero(records);
}

TEST(BufferDiskCap, BlockHoldsRecordsUntilACursorPassesASegment) {
  testing::TempDir dir;
  auto buffer = open_capped(dir.path(), FullPolicy::kBlock);
  ASSERT_NE(buffer, nullptr);
  commit_cursor(dir.path(), "forwarder", 0);
  std::uint64_t acknowledged = 0;
  for (std::uint64_t i = 0; i < kRecords; ++i) {
    Status s = append_seq(*buffer, 0, acknowledged, kPadding);
    if (s.is_ok()) {
      ++acknowledged;
    } else {
      ASSERT_EQ(s.code(), StatusCode::kTimedOut) << s.to_string();  // the queue's block policy
    }
  }
  // At the cap: flush says why, and nothing unread was deleted or dropped for the disk.
  const Status flushed = buffer->flush(wait_ms());
  ASSERT_EQ(flushed.code(), StatusCode::kNoSpace) << flushed.to_string();
  EXPECT_NE(flushed.message().find("size cap"), std::string::npos) << flushed.message();
  BufferStats s = buffer->stats();
  expect_balanced(s);
  EXPECT_TRUE(s.at_cap);
  EXPECT_EQ(disk_full(s), 0u);
  EXPECT_GT(s.queue_depth, 0u);
  EXPECT_LE(segment_file_bytes(dir.path()), kCap);
  // The log holds what stats count as written, and the part of the waiting batch that still
  // fitted in the active segment (counted as queued until the whole batch is in).
  const auto in_log = read_seq_records(dir.path());
  EXPECT_GE(in_log.size(), s.written);
  EXPECT_LE(in_log.size(), s.written + s.queue_depth);
  expect_gap_free_from_zero(in_log);

  // A forwarder reads what is written: the writer makes room and goes on, until everything
  // acknowledged is in the log.
  ASSERT_TRUE(read_along_until(*buffer, dir.path(), [&] { return buffer->flush(100).is_ok(); }));
  s = buffer->stats();
  expect_balanced(s);
  EXPECT_EQ(s.written, acknowledged);  // every acknowledged append is in the log
  EXPECT_EQ(disk_full(s), 0u);
  EXPECT_LE(segment_file_bytes(dir.path()), kCap);
}

TEST(BufferDiskCap, SampleKeepsEveryCriticalRecordAndOneInNOfTheRest) {
  testing::TempDir dir;
  auto buffer = open_capped(dir.path(), FullPolicy::kSample);
  ASSERT_NE(buffer, nullptr);
  commit_cursor(dir.path(), "forwarder", 0);
  std::set<std::uint64_t> critical;
  for (std::uint64_t i = 0; i < kRecords; ++i) {
    const Priority p = i % 10 == 0 ? Priority::kCritical : Priority::kNormal;
    if (p == Priority::kCritical) critical.insert(i);
    ASSERT_TRUE(append_seq(*buffer, 0, i, kPadding, p).is_ok());
  }
  ASSERT_TRUE(buffer->flush(wait_ms()).is_ok());
  const BufferStats s = buffer->stats();
  expect_balanced(s);
  EXPECT_EQ(s.written + disk_full(s), kRecords);
  EXPECT_GT(disk_full(s), 0u);
  EXPECT_LE(segment_file_bytes(dir.path()), kCap);
  // What was kept past the cap made room by deleting the oldest segments (as drop_oldest),
  // so the newest critical records are all there, and of the normal ones past the cap about
  // one in sample_keep_one_in.
  const auto records = read_seq_records(dir.path());
  ASSERT_FALSE(records.empty());
  EXPECT_GT(records.front().seq, 0u);
  std::set<std::uint64_t> kept;
  for (const SeqRecord& r : records) kept.insert(r.seq);
  for (std::uint64_t c : critical) {
    if (c > records.front().seq) EXPECT_TRUE(kept.count(c)) << "critical record " << c;
  }
  const std::uint64_t last_seq = records.back().seq;
  EXPECT_GE(last_seq, kRecords - 10);  // sampling went on to the end
  // From the first record dropped on (retention deletes only a prefix, so everything after it
  // that is missing was dropped), the sampler kept one normal record in sample_keep_one_in
  // (4): at most 3 dropped per normal record kept, plus the 3 before the next keep.
  std::uint64_t first_dropped = records.front().seq;
  while (kept.count(first_dropped)) ++first_dropped;
  ASSERT_LT(first_dropped, kRecords);
  std::uint64_t normal_kept = 0, normal_dropped = 0;
  for (std::uint64_t seq = first_dropped; seq < kRecords; ++seq) {
    if (critical.count(seq)) continue;
    ++(kept.count(seq) ? normal_kept : normal_dropped);
  }
  EXPECT_GT(normal_dropped, 0u);
  EXPECT_GT(normal_kept, 0u);
  EXPECT_LE(normal_dropped, 3 * normal_kept + 3);
}

TEST(BufferDiskCap, WriterDropsStayCountedAfterTheProducerThreadExits) {
  testing::TempDir dir;
  auto buffer = open_capped(dir.path(), FullPolicy::kDropNewest);
  ASSERT_NE(buffer, nullptr);
  commit_cursor(dir.path(), "forwarder", 0);
  std::thread producer([&] {
    for (std::uint64_t i = 0; i < kRecords; ++i)
      EXPECT_TRUE(append_seq(*buffer, 0, i, kPadding).is_ok());
    EXPECT_TRUE(buffer->flush(wait_ms()).is_ok());
  });
  producer.join();
  const std::uint64_t dropped = disk_full(buffer->stats());
  ASSERT_GT(dropped, 0u);
  // The thread's ring goes back (thread exit); its counters, the writer's drops among them,
  // are folded into the Buffer's, so the identity still holds with nothing queued.
  ASSERT_TRUE(testing::eventually([&] { return buffer->stats().producers == 0; }));
  const BufferStats s = buffer->stats();
  expect_balanced(s);
  EXPECT_EQ(s.queue_depth, 0u);
  EXPECT_EQ(disk_full(s), dropped);
}

TEST(BufferDiskCap, DropOldestIsTheDefaultAndDeletesUnreadRecords) {
  EXPECT_EQ(Options{}.disk_full_policy, FullPolicy::kDropOldest);
  testing::TempDir dir;
  auto buffer = open_capped(dir.path(), FullPolicy::kDropOldest);
  ASSERT_NE(buffer, nullptr);
  commit_cursor(dir.path(), "forwarder", 0);
  ASSERT_NO_FATAL_FAILURE(append_all(*buffer));
  const BufferStats s = buffer->stats();
  EXPECT_EQ(s.written, kRecords);
  EXPECT_FALSE(s.at_cap);
  EXPECT_GT(read_seq_records(dir.path()).front().seq, 0u);  // the oldest went
  EXPECT_LE(segment_file_bytes(dir.path()), kCap);
}

}  // namespace
}  // namespace spool

// Retention respects consumer cursors: the age cap never deletes a segment a cursor still
// needs; the size cap does, and counts the records it took from under a cursor.
#include <gtest/gtest.h>

#include <chrono>

#include "segment/cursor_store.h"
#include "segment/segment_log.h"
#include "support/log_helpers.h"
#include "support/temp_dir.h"

namespace spool::segment {
namespace {

using spool::testing::bytes_of;
using spool::testing::commit_cursor;
using spool::testing::open_log;
using spool::testing::read_all;
using spool::testing::sample_payload;
using spool::testing::small_segments;

constexpr std::uint64_t kRecords = 400;
constexpr std::uint64_t kHourMs = 3600ull * 1000;

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A log of kRecords records stamped five hours ago, in many small segments.
std::unique_ptr<SegmentLog> old_log(const std::string& dir) {
  auto log = open_log(dir, small_segments());
  if (!log) return nullptr;
  const std::int64_t old = now_ns() - 5 * 3600ll * 1'000'000'000;
  for (std::uint64_t i = 0; i < kRecords; ++i) {
    if (!log->append(0, bytes_of(sample_payload(i)), old)) return nullptr;
  }
  EXPECT_GT(log->segment_count(), 6u);
  return log;
}

std::uint64_t active_base(const SegmentLog& log) { return log.segments().back()->base_offset(); }

TEST(RetentionCursor, AgeCapKeepsSegmentsACursorNeeds) {
  testing::TempDir dir;
  auto log = old_log(dir.path());
  ASSERT_NE(log, nullptr);
  const auto segs = log->segments();
  const std::uint64_t x = segs[3]->base_offset() + 2;  // inside the fourth segment
  commit_cursor(dir.path(), "slow", x);
  commit_cursor(dir.path(), "fast", log->next_offset());
  log->set_retention(0, kHourMs);
  auto deleted = log->enforce_retention();
  ASSERT_TRUE(deleted) << deleted.status().to_string();
  EXPECT_EQ(*deleted, 3u);
  // Every offset >= x is still there; the segment holding x is kept whole.
  EXPECT_EQ(log->first_offset(), segs[3]->base_offset());
  EXPECT_EQ(read_all(*log, x).size(), kRecords - x);
  EXPECT_EQ(log->retention_forced_records(), 0u);

  // Once the slow cursor moves on, the age cap frees what it passed.
  commit_cursor(dir.path(), "slow", segs[5]->base_offset());
  deleted = log->enforce_retention();
  ASSERT_TRUE(deleted);
  EXPECT_EQ(*deleted, 2u);
  EXPECT_EQ(log->first_offset(), segs[5]->base_offset());
  EXPECT_EQ(log->retention_forced_records(), 0u);
}

TEST(RetentionCursor, CaughtUpCursorsLetTheAgeCapWorkAsBefore) {
  testing::TempDir dir;
  auto log = old_log(dir.path());
  ASSERT_NE(log, nullptr);
  commit_cursor(dir.path(), "done", log->next_offset());
  log->set_retention(0, kHourMs);
  ASSERT_TRUE(log->enforce_retention());
  EXPECT_EQ(log->segment_count(), 1u);
  EXPECT_EQ(log->first_offset(), active_base(*log));
}

TEST(RetentionCursor, SizeCapDeletesNeededSegmentsAndCountsTheRecords) {
  testing::TempDir dir;
  auto log = old_log(dir.path());
  ASSERT_NE(log, nullptr);
  const auto segs = log->segments();
  const std::uint64_t x = segs[2]->base_offset() + 3;
  commit_cursor(dir.path(), "slow", x);
  // A cap only the active segment fits under: every sealed segment goes.
  log->set_retention(1, 0);
  auto deleted = log->enforce_retention();
  ASSERT_TRUE(deleted) << deleted.status().to_string();
  EXPECT_EQ(*deleted, segs.size() - 1);
  const std::uint64_t base = active_base(*log);
  EXPECT_EQ(log->first_offset(), base);
  // Exactly the records at or after x that were deleted: x .. base-1.
  EXPECT_EQ(log->retention_forced_records(), base - x);
}

TEST(RetentionCursor, SizeCapBelowTheFloorForcesNothing) {
  testing::TempDir dir;
  auto log = old_log(dir.path());
  ASSERT_NE(log, nullptr);
  const auto segs = log->segments();
  commit_cursor(dir.path(), "c", segs[4]->base_offset());
  // A cap that frees exactly the two oldest segments.
  log->set_retention(log->disk_bytes() - segs[0]->mapped_bytes() - segs[1]->mapped_bytes() + 1, 0);
  auto deleted = log->enforce_retention();
  ASSERT_TRUE(deleted);
  EXPECT_GE(*deleted, 2u);
  EXPECT_LE(log->first_offset(), segs[4]->base_offset());
  EXPECT_EQ(log->retention_forced_records(), 0u);
}

TEST(RetentionCursor, SizeAndAgeTogetherCountOnlyWhatTheSizeCapForced) {
  testing::TempDir dir;
  auto log = old_log(dir.path());
  ASSERT_NE(log, nullptr);
  const auto segs = log->segments();
  const std::uint64_t x = segs[1]->base_offset();
  commit_cursor(dir.path(), "c", x);
  const std::uint64_t keep_last = segs.back()->base_offset();
  log->set_retention(1, kHourMs);
  ASSERT_TRUE(log->enforce_retention());
  // Segment 0 went by age (not needed); the rest by size, all needed.
  EXPECT_EQ(log->first_offset(), keep_last);
  EXPECT_EQ(log->retention_forced_records(), keep_last - x);
}

TEST(RetentionCursor, WithoutCursorsTheOldBehaviourHolds) {
  for (bool empty_dir : {false, true}) {
    testing::TempDir dir;
    auto log = old_log(dir.path());
    ASSERT_NE(log, nullptr);
    if (empty_dir) {
      ASSERT_TRUE(CursorStore::open(dir.path()));  // cursors/ exists, empty
    }
    log->set_retention(0, kHourMs);
    auto deleted = log->enforce_retention();
    ASSERT_TRUE(deleted);
    EXPECT_EQ(log->segment_count(), 1u) << empty_dir;
    EXPECT_EQ(log->first_offset(), active_base(*log));
    // A size cap without cursors forces nothing that anyone needed.
    EXPECT_EQ(log->retention_forced_records(), 0u);
  }
}

TEST(RetentionCursor, CorruptCursorFileStopsTheAgeCapButNotTheSizeCap) {
  testing::TempDir dir;
  auto log = old_log(dir.path());
  ASSERT_NE(log, nullptr);
  commit_cursor(dir.path(), "good", log->next_offset());
  auto store = CursorStore::open(dir.path());
  ASSERT_TRUE(store);
  testing::write_file(store->path_of("broken"), "not a cursor file");
  log->set_retention(0, kHourMs);
  auto deleted = log->enforce_retention();
  ASSERT_TRUE(deleted) << deleted.status().to_string();
  EXPECT_EQ(*deleted, 0u);
  EXPECT_EQ(log->first_offset(), 0u);

  // The disk must not fill: the size cap still applies, and with the cursors unknown every
  // record it deletes counts as forced.
  log->set_retention(1, kHourMs);
  deleted = log->enforce_retention();
  ASSERT_TRUE(deleted);
  EXPECT_EQ(log->segment_count(), 1u);
  EXPECT_EQ(log->retention_forced_records(), active_base(*log));
}

TEST(RetentionCursor, CursorsCommittedAfterOpenCountAtTheNextRotation) {
  testing::TempDir dir;
  LogOptions o = small_segments();
  o.retention_max_age_ms = kHourMs;
  auto log = open_log(dir.path(), o);
  ASSERT_NE(log, nullptr);
  commit_cursor(dir.path(), "c", 0);  // e.g. by another process: nothing delivered yet
  const std::int64_t old = now_ns() - 5 * 3600ll * 1'000'000'000;
  // Retention runs at every rotation; the cursor at 0 keeps everything.
  for (std::uint64_t i = 0; i < kRecords; ++i) ASSERT_TRUE(log->append(0, bytes_of(sample_payload(i)), old));
  EXPECT_GT(log->segment_count(), 6u);
  EXPECT_EQ(log->first_offset(), 0u);
  EXPECT_EQ(read_all(*log).size(), kRecords);
}

}  // namespace
}  // namespace spool::segment

// Recovery policy (segment/log_recovery.cc): how much is scanned after each kind of stop,
// and what is done with leftovers, unwritten headers and index files.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include "segment/cursor_store.h"
#include "segment/log_checkpoint.h"
#include "segment/segment_header.h"
#include "segment/segment_log.h"
#include "support/child_process.h"
#include "support/log_helpers.h"
#include "support/temp_dir.h"

namespace spool::segment {
namespace {

using spool::testing::bytes_of;
using spool::testing::open_log;
using spool::testing::read_all;
using spool::testing::sample_payload;

constexpr std::uint64_t kRecords = 200;

LogOptions small() {
  LogOptions o;
  o.segment_bytes = 8192;
  return o;
}

// A log of kRecords over several segments, left by a process that died with it open.
void write_crashed_log(const std::string& dir) {
  int status = testing::run_in_child([&] {
    auto log = SegmentLog::open(dir, small());
    if (!log) ::_exit(3);
    for (std::uint64_t i = 0; i < kRecords; ++i) {
      if (!(*log)->append(0, bytes_of(sample_payload(i)))) ::_exit(4);
    }
    ::_exit(0);  // dies with the log open
  });
  ASSERT_EQ(status, 0);
}

LogCheckpoint read_checkpoint(const std::string& dir) {
  std::string bytes = testing::read_file(dir + "/" + LogCheckpoint::kFileName);
  auto c = LogCheckpoint::decode(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
  EXPECT_TRUE(c.has_value());
  return c.value_or(LogCheckpoint{});
}

TEST(LogRecovery, CleanCloseScansNothing) {
  testing::TempDir dir;
  {
    auto log = open_log(dir.path(), small());
    ASSERT_NE(log, nullptr);
    for (std::uint64_t i = 0; i < kRecords; ++i) ASSERT_TRUE(log->append(0, bytes_of(sample_payload(i))));
  }
  auto log = open_log(dir.path(), small());
  ASSERT_NE(log, nullptr);
  EXPECT_TRUE(log->recovery_report().clean_shutdown);
  EXPECT_EQ(log->recovery_report().segments_scanned, 0u);
  EXPECT_EQ(read_all(*log).size(), kRecords);
}

TEST(LogRecovery, ProcessCrashScansOnlyFromTheRecoveryPoint) {
  testing::TempDir dir;
  write_crashed_log(dir.path());
  auto log = open_log(dir.path(), small());
  ASSERT_NE(log, nullptr);
  const RecoveryReport& r = log->recovery_report();
  EXPECT_FALSE(r.clean_shutdown);
  EXPECT_FALSE(r.full_scan);
  EXPECT_GT(r.segments, 3u);
  EXPECT_EQ(r.segments_scanned, 1u);  // the active segment
  EXPECT_EQ(log->next_offset(), kRecords);
  EXPECT_EQ(read_all(*log).size(), kRecords);
}

TEST(LogRecovery, MachineCrashScansEverySegment) {
  testing::TempDir dir;
  write_crashed_log(dir.path());
  // The same directory as found after a reboot: the checkpoint's boot id is another one.
  LogCheckpoint c = read_checkpoint(dir.path());
  ASSERT_FALSE(c.clean);
  EXPECT_EQ(c.boot, LogCheckpoint::current_boot());
  c.boot ^= 1;
  testing::write_checkpoint(dir.path(), c);
  auto log = open_log(dir.path(), small());
  ASSERT_NE(log, nullptr);
  const RecoveryReport& r = log->recovery_report();
  EXPECT_TRUE(r.full_scan);
  EXPECT_EQ(r.segments_scanned, r.segments);
  EXPECT_FALSE(r.notes.empty());
  EXPECT_EQ(read_all(*log).size(), kRecords);
}

TEST(LogRecovery, CleanCheckpointFromAnotherBootIsStillTrusted) {
  testing::TempDir dir;
  {
    auto log = open_log(dir.path(), small());
    ASSERT_NE(log, nullptr);
    ASSERT_TRUE(log->append(0, bytes_of("x")));
  }
  LogCheckpoint c = read_checkpoint(dir.path());
  ASSERT_TRUE(c.clean);
  c.boot ^= 1;  // a clean close was synced: a reboot since changes nothing
  testing::write_checkpoint(dir.path(), c);
  auto log = open_log(dir.path(), small());
  ASSERT_NE(log, nullptr);
  EXPECT_FALSE(log->recovery_report().full_scan);
  EXPECT_EQ(log->recovery_report().segments_scanned, 0u);
}

TEST(LogRecovery, MissingCheckpointScansEverything) {
  testing::TempDir dir;
  write_crashed_log(dir.path());
  std::filesystem::remove(dir.sub(LogCheckpoint::kFileName));
  auto log = open_log(dir.path(), small());
  ASSERT_NE(log, nullptr);
  EXPECT_TRUE(log->recovery_report().full_scan);
  EXPECT_EQ(log->recovery_report().segments_scanned, log->recovery_report().segments);
  EXPECT_TRUE(log->recovery_report().rebuilt_indexes.empty());  // every .idx was sound
  EXPECT_EQ(log->next_offset(), kRecords);
}

TEST(LogRecovery, LeftoversAreNotedByReadersAndRemovedByTheWriter) {
  testing::TempDir dir;
  write_crashed_log(dir.path());
  testing::write_file(dir.sub("00000000000000000000.seg.deleted"), "old");
  testing::write_file(dir.sub("checkpoint.tmp"), "half");
  testing::write_file(dir.sub("00000000000000099999.idx"), "orphan");
  {
    auto ro = open_log(dir.path(), small(), OpenMode::kReadOnly);
    ASSERT_NE(ro, nullptr);
    EXPECT_TRUE(ro->recovery_report().removed_files.empty());
    EXPECT_EQ(ro->recovery_report().notes.size(), 3u);
    EXPECT_TRUE(std::filesystem::exists(dir.sub("checkpoint.tmp")));
  }
  auto log = open_log(dir.path(), small());
  ASSERT_NE(log, nullptr);
  EXPECT_EQ(log->recovery_report().removed_files.size(), 3u);
  EXPECT_FALSE(std::filesystem::exists(dir.sub("00000000000000000000.seg.deleted")));
  EXPECT_FALSE(std::filesystem::exists(dir.sub("checkpoint.tmp")));
  EXPECT_FALSE(std::filesystem::exists(dir.sub("00000000000000099999.idx")));
  EXPECT_EQ(read_all(*log).size(), kRecords);
}

TEST(LogRecovery, SegmentWhoseCreationWasCutShortIsNotDamage) {
  testing::TempDir dir;
  write_crashed_log(dir.path());
  // A crash between creating the next segment file and writing its header.
  const std::string next = dir.sub(segment_file_name(kRecords));
  testing::write_file(next, "");
  {
    auto ro = open_log(dir.path(), [] { LogOptions o = small(); o.full_recovery_scan = true; return o; }(),
                       OpenMode::kReadOnly);
    ASSERT_NE(ro, nullptr);
    EXPECT_FALSE(ro->recovery_report().found_damage());
  }
  auto log = open_log(dir.path(), small());
  ASSERT_NE(log, nullptr);
  EXPECT_FALSE(log->recovery_report().found_damage());
  EXPECT_EQ(log->next_offset(), kRecords);
  auto off = log->append(0, bytes_of("into the repaired segment"));
  ASSERT_TRUE(off);
  EXPECT_EQ(*off, kRecords);
  EXPECT_EQ(log->segments().back()->base_offset(), kRecords);
}

// Issue 9, item 5: a cursor past the end of the recovered log (records it acknowledged were
// lost) raises the next offset to it; the gap is reported, and the new records are found by
// a reader starting at the cursor.
TEST(LogRecovery, CursorPastTheEndRaisesTheNextOffsetAndCountsTheGap) {
  testing::TempDir tmp;
  const std::string dir = tmp.sub("log");
  LogOptions o;
  o.segment_bytes = 64 * 1024;
  {
    auto log = open_log(dir, o);
    ASSERT_FALSE(::testing::Test::HasFatalFailure());
    for (int i = 0; i < 10; ++i) ASSERT_TRUE(log->append(0, bytes_of(sample_payload(i))));
  }
  auto store = CursorStore::open(dir);
  ASSERT_TRUE(store) << store.status().to_string();
  ASSERT_TRUE(store->commit({"ahead", 50, 0, ""}).is_ok());
  ASSERT_TRUE(store->commit({"behind", 5, 0, ""}).is_ok());

  // A read-only open (verify, dump) sees the same next offset and the same report.
  {
    auto ro = open_log(dir, o, OpenMode::kReadOnly);
    ASSERT_FALSE(::testing::Test::HasFatalFailure());
    EXPECT_EQ(ro->next_offset(), 50u);
    EXPECT_EQ(ro->recovery_report().offsets_skipped, 40u);
  }
  {
    auto log = open_log(dir, o);
    ASSERT_FALSE(::testing::Test::HasFatalFailure());
    const RecoveryReport& r = log->recovery_report();
    EXPECT_EQ(log->next_offset(), 50u);
    EXPECT_EQ(r.next_offset, 50u);
    EXPECT_EQ(r.offsets_skipped, 40u);
    ASSERT_EQ(r.cursors_past_end.size(), 1u);
    EXPECT_EQ(r.cursors_past_end[0].name, "ahead");
    EXPECT_EQ(r.cursors_past_end[0].log_end, 10u);
    EXPECT_EQ(r.cursors_past_end[0].gap(), 40u);
    auto off = log->append(0, bytes_of("after the gap"));
    ASSERT_TRUE(off) << off.status().to_string();
    EXPECT_EQ(*off, 50u);
    auto from_cursor = read_all(*log, 50);
    ASSERT_EQ(from_cursor.size(), 1u);
    EXPECT_EQ(from_cursor.at(50), "after the gap");
    EXPECT_EQ(read_all(*log).size(), 11u);  // 0..9 and 50
    EXPECT_FALSE(log->read(20).is_ok());
  }
  // Recorded in the checkpoint: the next open finds nothing past the end.
  auto log = open_log(dir, o);
  ASSERT_FALSE(::testing::Test::HasFatalFailure());
  EXPECT_EQ(log->next_offset(), 51u);
  EXPECT_TRUE(log->recovery_report().cursors_past_end.empty());
  EXPECT_EQ(log->recovery_report().offsets_skipped, 0u);
}

// A gap wider than a segment's offset span: the next record starts a new segment at the
// cursor's offset, and readers cross the gap.
TEST(LogRecovery, CursorFarPastTheEndStartsANewSegmentAtItsOffset) {
  testing::TempDir tmp;
  const std::string dir = tmp.sub("log");
  LogOptions o;
  o.segment_bytes = 64 * 1024;
  const std::uint64_t far = kSegmentOffsetSpan * 3 + 7;
  {
    auto log = open_log(dir, o);
    ASSERT_FALSE(::testing::Test::HasFatalFailure());
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(log->append(0, bytes_of(sample_payload(i))));
  }
  auto store = CursorStore::open(dir);
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->commit({"ahead", far, 0, ""}).is_ok());
  {
    auto log = open_log(dir, o);
    ASSERT_FALSE(::testing::Test::HasFatalFailure());
    EXPECT_EQ(log->recovery_report().offsets_skipped, far - 3);
    auto off = log->append(0, bytes_of("x"));
    ASSERT_TRUE(off) << off.status().to_string();
    EXPECT_EQ(*off, far);
    EXPECT_EQ(log->segments().back()->base_offset(), far);
  }
  auto log = open_log(dir, o);
  ASSERT_FALSE(::testing::Test::HasFatalFailure());
  EXPECT_FALSE(log->recovery_report().found_damage());
  auto all = read_all(*log);
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all.rbegin()->first, far);
  EXPECT_EQ(read_all(*log, 3).size(), 1u);
}

// The dead-letter log is a log directory of its own: its requeue cursor gets the same rule.
TEST(LogRecovery, DeadLetterRequeueCursorPastTheEndRaisesItsNextOffset) {
  testing::TempDir tmp;
  const std::string dir = tmp.sub("log") + "/deadletter";
  LogOptions o;
  o.segment_bytes = 64 * 1024;
  ASSERT_TRUE(open_log(tmp.sub("log"), o));  // the main log holds the dead-letter directory
  {
    auto log = open_log(dir, o);
    ASSERT_FALSE(::testing::Test::HasFatalFailure());
    ASSERT_TRUE(log->append(0, bytes_of("dead")));
  }
  auto store = CursorStore::open(dir);
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->commit({"requeue", 9, 0, ""}).is_ok());
  auto log = open_log(dir, o);
  ASSERT_FALSE(::testing::Test::HasFatalFailure());
  EXPECT_EQ(log->next_offset(), 9u);
  EXPECT_EQ(log->recovery_report().offsets_skipped, 8u);
}

}  // namespace
}  // namespace spool::segment

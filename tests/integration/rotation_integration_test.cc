// Guarantee 1: offsets are 64-bit, strictly increasing, never reused, stable across
// restarts — over a million records and hundreds of segment rotations.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include "segment/segment_log.h"
#include "support/child_process.h"
#include "support/log_helpers.h"
#include "support/temp_dir.h"

namespace spool::segment {
namespace {

using spool::testing::bytes_of;
using spool::testing::as_string;
using spool::testing::open_log;
using spool::testing::sample_payload;

constexpr std::uint64_t kRecords = 1'000'000;

// Appends [from, to) in batches of 1000.
void append_range(SegmentLog& log, std::uint64_t from, std::uint64_t to) {
  std::vector<std::string> payloads;
  std::vector<AppendRecord> batch;
  for (std::uint64_t i = from; i < to;) {
    payloads.clear();
    batch.clear();
    for (std::uint64_t k = 0; k < 1000 && i < to; ++k, ++i) payloads.push_back(sample_payload(i));
    for (const auto& p : payloads) batch.push_back(AppendRecord{1, bytes_of(p)});
    auto first = log.append_batch(batch);
    ASSERT_TRUE(first) << first.status().to_string();
    ASSERT_EQ(*first, i - payloads.size());
  }
}

// Reads everything and checks offsets are exactly [0, n) with the right payloads.
void expect_exactly(const SegmentLog& log, std::uint64_t n) {
  auto reader = log.scan(0);
  RecordView v;
  std::uint64_t expected = 0;
  while (reader.next(&v)) {
    ASSERT_EQ(v.offset, expected);
    if (expected % 997 == 0) {
      ASSERT_EQ(as_string(v.payload), sample_payload(expected));
    }
    ++expected;
  }
  EXPECT_EQ(expected, n);
  EXPECT_EQ(reader.skipped_bytes(), 0u);
}

TEST(RotationIntegration, MillionRecordsAcrossManyRotationsSurviveReopen) {
  testing::TempDir dir;
  LogOptions o;
  o.segment_bytes = 1 << 20;
  {
    auto log = open_log(dir.path(), o);
    ASSERT_NE(log, nullptr);
    append_range(*log, 0, kRecords);
    ASSERT_FALSE(::testing::Test::HasFatalFailure());
    EXPECT_EQ(log->next_offset(), kRecords);
    EXPECT_GT(log->segment_count(), 100u);
    expect_exactly(*log, kRecords);
    // Random access through the sparse index.
    for (std::uint64_t off : std::vector<std::uint64_t>{0, 1, 4095, 500000, kRecords - 1}) {
      auto r = log->read(off);
      ASSERT_TRUE(r) << r.status().to_string();
      EXPECT_EQ(as_string(r->payload), sample_payload(off));
    }
  }
  // Clean reopen: nothing scanned, same contents, offsets continue.
  {
    auto log = open_log(dir.path(), o);
    ASSERT_NE(log, nullptr);
    EXPECT_TRUE(log->recovery_report().clean_shutdown);
    EXPECT_EQ(log->recovery_report().segments_scanned, 0u);
    EXPECT_EQ(log->next_offset(), kRecords);
    expect_exactly(*log, kRecords);
    append_range(*log, kRecords, kRecords + 10);
  }
  // Unclean reopen after a crash mid-run: only the segments after the recovery point are
  // scanned, and offsets still continue.
  int status = testing::run_in_child([&] {
    auto log = SegmentLog::open(dir.path(), o);
    if (!log) ::_exit(3);
    append_range(**log, kRecords + 10, kRecords + 5000);
    ::_exit(::testing::Test::HasFailure() ? 4 : 0);  // dies with the log open
  });
  ASSERT_EQ(status, 0);
  auto log = open_log(dir.path(), o);
  ASSERT_NE(log, nullptr);
  EXPECT_FALSE(log->recovery_report().clean_shutdown);
  EXPECT_LE(log->recovery_report().segments_scanned, 2u);
  EXPECT_FALSE(log->recovery_report().found_damage());
  EXPECT_FALSE(log->recovery_report().found_damage());
  EXPECT_EQ(log->next_offset(), kRecords + 5000);
  expect_exactly(*log, kRecords + 5000);
}

TEST(RotationIntegration, OffsetsContinueAfterEachKindOfReopen) {
  testing::TempDir dir;
  LogOptions o;
  o.segment_bytes = 8192;
  std::uint64_t next = 0;
  for (int round = 0; round < 6; ++round) {
    const bool crash = round % 2 == 1;
    if (crash) {
      int status = testing::run_in_child([&] {
        auto log = SegmentLog::open(dir.path(), o);
        if (!log || (*log)->next_offset() != next) ::_exit(3);
        for (int i = 0; i < 77; ++i) {
          auto off = (*log)->append(0, bytes_of(sample_payload(next + i)));
          if (!off || *off != next + i) ::_exit(4);
        }
        ::_exit(0);  // dies with the log open
      });
      ASSERT_EQ(status, 0) << "round " << round;
    } else {
      auto log = open_log(dir.path(), o);
      ASSERT_NE(log, nullptr);
      ASSERT_EQ(log->next_offset(), next);
      for (int i = 0; i < 77; ++i) {
        auto off = log->append(0, bytes_of(sample_payload(next + i)));
        ASSERT_TRUE(off);
        ASSERT_EQ(*off, next + i);
      }
    }
    next += 77;
  }
  auto log = open_log(dir.path(), o);
  ASSERT_NE(log, nullptr);
  EXPECT_EQ(log->next_offset(), next);
  expect_exactly(*log, next);
}

}  // namespace
}  // namespace spool::segment

// Issue 9, item 7: a failed fdatasync is final. After it the kernel may have dropped the
// dirty pages (and marked them clean), so a retried sync can succeed without the data on
// disk (PostgreSQL's fsync lesson). The log enters a failed state: every later append and
// sync returns a clear error, the committed offset does not move past what was synced, and
// only a reopen (which scans) makes it writable again. A full disk stays retryable.
#include <errno.h>
#include <gtest/gtest.h>

#include <thread>

#include "segment/segment_log.h"
#include "spool/buffer.h"
#include "support/fault_env.h"
#include "support/log_helpers.h"
#include "support/temp_dir.h"

namespace spool {
namespace {

using segment::SegmentLog;
using spool::testing::bytes_of;
using spool::testing::FaultEnv;
using spool::testing::open_log;
using spool::testing::read_all;
using spool::testing::sample_payload;

void expect_final_sync_error(const Status& s, const std::string& dir) {
  EXPECT_EQ(s.code(), StatusCode::kIoError) << s.to_string();
  EXPECT_NE(s.message().find("log " + dir), std::string::npos) << s.to_string();
  EXPECT_NE(s.message().find("fdatasync of"), std::string::npos) << s.to_string();
  EXPECT_NE(s.message().find("Input/output error"), std::string::npos) << s.to_string();
  EXPECT_NE(s.message().find("takes no more appends until it is reopened"), std::string::npos)
      << s.to_string();
}

TEST(SyncFailure, BatchModeFailedSyncIsFinalUntilReopen) {
  testing::TempDir tmp;
  const std::string dir = tmp.sub("log");
  LogOptions o;
  o.durability = Durability::kBatch;
  FaultEnv faults;
  io::ScopedEnv scope(&faults);
  {
    auto log = open_log(dir, o);
    ASSERT_FALSE(::testing::Test::HasFatalFailure());
    for (int i = 0; i < 10; ++i) ASSERT_TRUE(log->append(0, bytes_of(sample_payload(i))));
    faults.fail({FaultEnv::Op::kSync, EIO, ".seg", 0, 1});  // one failed fdatasync
    auto failed = log->append(0, bytes_of("lost?"));
    ASSERT_FALSE(failed.is_ok());
    expect_final_sync_error(failed.status(), dir);
    EXPECT_EQ(log->next_offset(), 10u) << "the committed offset moved past a failed sync";
    // The fault is gone (a retried fdatasync would now succeed, falsely): still final.
    auto again = log->append(0, bytes_of("again"));
    ASSERT_FALSE(again.is_ok());
    expect_final_sync_error(again.status(), dir);
    expect_final_sync_error(log->sync(), dir);
    EXPECT_EQ(log->next_offset(), 10u);
    EXPECT_EQ(read_all(*log).size(), 10u);
    expect_final_sync_error(log->close(), dir);  // no clean checkpoint after a failed sync
  }
  auto log = open_log(dir, o);
  ASSERT_FALSE(::testing::Test::HasFatalFailure());
  EXPECT_FALSE(log->recovery_report().clean_shutdown);
  auto all = read_all(*log);
  ASSERT_GE(all.size(), 10u);
  for (std::uint64_t i = 0; i < 10; ++i) EXPECT_EQ(all.at(i), sample_payload(i));
  const std::uint64_t next = log->next_offset();
  auto off = log->append(0, bytes_of("after reopen"));
  ASSERT_TRUE(off) << off.status().to_string();
  EXPECT_EQ(*off, next);
  EXPECT_TRUE(log->sync().is_ok());
}

Options buffer_options(Durability durability) {
  Options o;
  o.log.durability = durability;
  o.log.sync_interval_ms = 1;
  o.adaptive_budget = false;
  return o;
}

RawRecord raw(const std::string& bytes) { return RawRecord{"t", bytes_of(bytes)}; }

void expect_counts_balance(const BufferStats& s) {
  EXPECT_EQ(s.appended, s.written + s.dropped_total() + s.queue_depth);
}

TEST(SyncFailure, BatchModeBufferStopsAcceptingWithTheError) {
  testing::TempDir tmp;
  const std::string dir = tmp.sub("log");
  FaultEnv faults;
  io::ScopedEnv scope(&faults);
  auto buffer = Buffer::open(dir, buffer_options(Durability::kBatch));
  ASSERT_TRUE(buffer) << buffer.status().to_string();
  Buffer& b = **buffer;
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(b.append(raw(sample_payload(i))).is_ok());
  ASSERT_TRUE(b.flush().is_ok());
  const std::uint64_t committed = b.stats().committed_offset;
  EXPECT_EQ(committed, 5u);

  faults.fail({FaultEnv::Op::kSync, EIO, ".seg", 0, 1});
  ASSERT_TRUE(b.append(raw("queued when the sync fails")).is_ok());
  expect_final_sync_error(b.flush(), dir);
  faults.clear_rules();
  // Refused at the door from now on, and counted.
  expect_final_sync_error(b.append(raw("refused")), dir);
  expect_final_sync_error(b.flush(), dir);
  expect_final_sync_error(b.sync(), dir);
  const BufferStats s = b.stats();
  EXPECT_EQ(s.committed_offset, committed);
  EXPECT_EQ(s.written, 5u);
  EXPECT_EQ(s.dropped[static_cast<std::size_t>(DropReason::kWriteFailed)], 2u);
  EXPECT_NE(s.log_failed.find("takes no more appends"), std::string::npos) << s.log_failed;
  expect_counts_balance(s);
  EXPECT_FALSE(b.shutdown().is_ok());
  buffer->reset();

  auto reopened = Buffer::open(dir, buffer_options(Durability::kBatch));
  ASSERT_TRUE(reopened) << reopened.status().to_string();
  ASSERT_TRUE((*reopened)->append(raw("after reopen")).is_ok());
  EXPECT_TRUE((*reopened)->flush().is_ok());
  EXPECT_TRUE((*reopened)->stats().log_failed.empty());
}

TEST(SyncFailure, IntervalTimerSyncFailureStopsTheBuffer) {
  testing::TempDir tmp;
  const std::string dir = tmp.sub("log");
  FaultEnv faults;
  io::ScopedEnv scope(&faults);
  auto buffer = Buffer::open(dir, buffer_options(Durability::kInterval));
  ASSERT_TRUE(buffer) << buffer.status().to_string();
  Buffer& b = **buffer;
  faults.fail({FaultEnv::Op::kSync, EIO, ".seg"});
  ASSERT_TRUE(b.append(raw("written, then its sync fails")).is_ok());
  // The writer's interval timer syncs and fails: wait for that event.
  for (int i = 0; i < 100000 && b.stats().log_failed.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_FALSE(b.stats().log_failed.empty()) << "the interval sync never ran";
  expect_final_sync_error(b.append(raw("refused")), dir);
  expect_final_sync_error(b.flush(), dir);
  const BufferStats s = b.stats();
  EXPECT_GE(s.dropped[static_cast<std::size_t>(DropReason::kWriteFailed)], 1u);
  expect_counts_balance(s);
}

TEST(SyncFailure, FullDiskAtRotationStaysRetryable) {
  testing::TempDir tmp;
  const std::string dir = tmp.sub("log");
  FaultEnv faults;
  io::ScopedEnv scope(&faults);
  Options o = buffer_options(Durability::kBatch);
  o.log.segment_bytes = 64 * 1024;
  auto buffer = Buffer::open(dir, o);
  ASSERT_TRUE(buffer) << buffer.status().to_string();
  Buffer& b = **buffer;
  faults.fail({FaultEnv::Op::kAllocate, ENOSPC, ".seg"});  // no room for the next segment
  constexpr int kRecords = 1000;  // several segments' worth
  for (int i = 0; i < kRecords; ++i) ASSERT_TRUE(b.append(raw(sample_payload(i))).is_ok());
  const Status full = b.flush();
  EXPECT_EQ(full.code(), StatusCode::kNoSpace) << full.to_string();
  EXPECT_TRUE(b.stats().log_failed.empty());
  faults.clear_rules();  // space freed: the writer's retry gets through
  Status flushed = b.flush();
  for (int i = 0; i < 100000 && !flushed.is_ok(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    flushed = b.flush();
  }
  ASSERT_TRUE(flushed.is_ok()) << flushed.to_string();
  const BufferStats s = b.stats();
  EXPECT_EQ(s.written, static_cast<std::uint64_t>(kRecords));
  EXPECT_EQ(s.dropped_total(), 0u);
  ASSERT_TRUE(b.shutdown().is_ok());
  auto log = open_log(dir, o.log);
  ASSERT_FALSE(::testing::Test::HasFatalFailure());
  EXPECT_EQ(log->record_count(), static_cast<std::uint64_t>(kRecords));
}

}  // namespace
}  // namespace spool

// segment/segment_mappings.h and the descriptor discipline of segment_file.h: sealed
// segments keep no descriptor, at most max_mapped_segments are mapped, and running out of
// descriptors or mappings is an error value, never a log that no longer opens.
#include "segment/segment_mappings.h"

#include <errno.h>
#include <sys/resource.h>

#include <atomic>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "segment/segment_log.h"
#include "spool/callback_sink.h"
#include "spool/forwarder.h"
#include "support/child_process.h"
#include "support/fault_env.h"
#include "support/log_helpers.h"
#include "support/temp_dir.h"

namespace spool::segment {
namespace {

using spool::testing::bytes_of;
using spool::testing::FaultEnv;
using spool::testing::open_log;
using spool::testing::read_all;
using spool::testing::TempDir;

constexpr std::uint64_t kSegmentBytes = 4096;

// One record per segment: two frames of this size do not fit in 4096 bytes.
std::string record_payload(std::uint64_t i) {
  std::string s = "record-" + std::to_string(i) + "-";
  s.resize(2000, static_cast<char>('a' + i % 26));
  return s;
}

LogOptions small_segments() {
  LogOptions o;
  o.segment_bytes = kSegmentBytes;
  return o;
}

std::size_t open_descriptors() {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
  return n;
}

// Appends records [from, to) in batches (each record rotates into a new segment).
Status append_records(SegmentLog& log, std::uint64_t from, std::uint64_t to) {
  std::vector<std::string> payloads;
  std::vector<AppendRecord> batch;
  for (std::uint64_t i = from; i < to;) {
    payloads.clear();
    batch.clear();
    for (; i < to && payloads.size() < 256; ++i) payloads.push_back(record_payload(i));
    for (const std::string& p : payloads) batch.push_back(AppendRecord{1, bytes_of(p)});
    auto first = log.append_batch(batch);
    if (!first) return first.status();
  }
  return Status::ok();
}

TEST(SegmentDescriptors, SealedSegmentsKeepNoDescriptor) {
  TempDir dir;
  const std::size_t before = open_descriptors();
  {
    auto log = open_log(dir.path(), small_segments());
    ASSERT_NE(log, nullptr);
    ASSERT_TRUE(append_records(*log, 0, 200).is_ok());
    ASSERT_GE(log->segment_count(), 200u);
    // The lock, the active segment and the appender's (io_uring) descriptors; none per
    // sealed segment.
    EXPECT_LE(open_descriptors(), before + 6);
  }
  {
    auto log = open_log(dir.path(), small_segments());  // recovery opens every segment
    ASSERT_NE(log, nullptr);
    EXPECT_LE(open_descriptors(), before + 6);
    EXPECT_EQ(read_all(*log).size(), 200u);
    EXPECT_LE(open_descriptors(), before + 6);
  }
  {
    LogOptions o = small_segments();
    o.full_recovery_scan = true;
    auto log = open_log(dir.path(), o, OpenMode::kReadOnly);
    ASSERT_NE(log, nullptr);
    EXPECT_LE(open_descriptors(), before + 2);
  }
}

TEST(SegmentMappings, AtMostTheLimitIsMappedAndAViewKeepsItsBytes) {
  TempDir dir;
  LogOptions o = small_segments();
  o.max_mapped_segments = 4;
  auto log = open_log(dir.path(), o);
  ASSERT_NE(log, nullptr);
  ASSERT_TRUE(append_records(*log, 0, 50).is_ok());
  EXPECT_LE(log->mapped_sealed_segments(), 4u);

  LogReader reader = log->scan(0);
  RecordView first;
  ASSERT_TRUE(reader.next(&first));
  RecordView view;
  std::uint64_t n = 1;
  while (reader.next(&view)) {
    EXPECT_EQ(testing::as_string(view.payload), record_payload(view.offset));
    EXPECT_LE(log->mapped_sealed_segments(), 4u);
    ++n;
  }
  EXPECT_TRUE(reader.error().is_ok()) << reader.error().to_string();
  EXPECT_EQ(n, 50u);
  // The first segment was unmapped by the log long ago; the view still holds its bytes.
  EXPECT_FALSE(first.segment->is_mapped());
  EXPECT_EQ(testing::as_string(first.payload), record_payload(0));
  // Read again, it is mapped again.
  auto again = log->read(0);
  ASSERT_TRUE(again) << again.status().to_string();
  EXPECT_EQ(testing::as_string(again->payload), record_payload(0));
}

// Readers on several threads keep mapping and unmapping segments (a limit of 2) while the
// writer rotates: every payload read is the one written.
TEST(SegmentMappings, ConcurrentReadersUnderATightLimitReadWhatWasWritten) {
  TempDir dir;
  LogOptions o = small_segments();
  o.max_mapped_segments = 2;
  auto log = open_log(dir.path(), o);
  ASSERT_NE(log, nullptr);
  ASSERT_TRUE(append_records(*log, 0, 64).is_ok());
  std::atomic<int> mismatches{0};
  std::atomic<int> errors{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 4; ++t) {
    readers.emplace_back([&] {
      for (int pass = 0; pass < 3; ++pass) {
        LogReader reader = log->scan(0);
        RecordView v;
        while (reader.next(&v)) {
          if (testing::as_string(v.payload) != record_payload(v.offset)) ++mismatches;
        }
        if (!reader.error().is_ok()) ++errors;
      }
    });
  }
  Status appended = append_records(*log, 64, 128);
  for (auto& r : readers) r.join();
  ASSERT_TRUE(appended.is_ok()) << appended.to_string();
  EXPECT_EQ(mismatches.load(), 0);
  EXPECT_EQ(errors.load(), 0);
  EXPECT_LE(log->mapped_sealed_segments(), 2u);
  EXPECT_EQ(read_all(*log).size(), 128u);
}

// The wall: under a descriptor limit of 256, a log of 10,000 segments is created,
// scanned whole by a read-only open, reopened for writing, appended to, read from the
// start to the end and drained by a Forwarder.
TEST(SegmentDescriptors, TenThousandSegmentsUnderAFileLimitOf256) {
  TempDir dir(testing::memory_backed_temp_base());
  constexpr std::uint64_t kRecords = 10'000;
  const int rc = testing::run_in_child([&]() -> int {
    const rlimit limit{256, 256};
    if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) return 10;
    {
      auto log = SegmentLog::open(dir.path(), small_segments());
      if (!log) return 11;
      if (!append_records(**log, 0, kRecords).is_ok()) return 12;
      if ((*log)->segment_count() < kRecords) return 13;
      if (!(*log)->close().is_ok()) return 14;
    }
    {
      // Scans every segment (read-only: a read-write full scan would fdatasync each one).
      LogOptions o = small_segments();
      o.full_recovery_scan = true;
      auto log = SegmentLog::open(dir.path(), o, OpenMode::kReadOnly);
      if (!log) return 15;
      if ((*log)->recovery_report().segments_scanned < kRecords) return 16;
      if ((*log)->recovery_report().found_damage()) return 17;
    }
    {
      auto log = SegmentLog::open(dir.path(), small_segments());
      if (!log) {
        std::fprintf(stderr, "reopen: %s\n", log.status().to_string().c_str());
        return 20;
      }
      if ((*log)->next_offset() != kRecords) return 21;
      if (!append_records(**log, kRecords, kRecords + 100).is_ok()) return 22;  // rotates
      LogReader reader = (*log)->scan(0);
      RecordView v;
      std::uint64_t expected = 0;
      while (reader.next(&v)) {
        if (v.offset != expected || testing::as_string(v.payload) != record_payload(expected)) return 23;
        ++expected;
      }
      if (!reader.error().is_ok()) {
        std::fprintf(stderr, "read: %s\n", reader.error().to_string().c_str());
        return 24;
      }
      if (expected != kRecords + 100) return 25;
      if ((*log)->mapped_sealed_segments() > LogOptions{}.max_mapped_segments) return 26;
    }
    std::atomic<std::uint64_t> delivered{0};
    std::atomic<bool> in_order{true};
    auto sink = make_callback_sink([&](const ForwardBatch& batch) {
      for (const ForwardRecord& r : batch.records) {
        if (r.offset != delivered.load()) in_order = false;
        delivered.fetch_add(1);
      }
      return FlushResult::succeeded();
    });
    auto forwarder = Forwarder::open(dir.path(), std::move(sink), ForwarderOptions{});
    if (!forwarder) {
      std::fprintf(stderr, "forwarder: %s\n", forwarder.status().to_string().c_str());
      return 30;
    }
    if (!(*forwarder)->flush(600'000).is_ok()) return 31;
    if (!(*forwarder)->stop().is_ok()) return 32;
    if (delivered.load() != kRecords + 100 || !in_order.load()) return 33;
    return 0;
  });
  EXPECT_EQ(rc, 0);
}

// Running out of descriptors when rotation opens the next segment: the append fails with a
// message that says so, the log stays usable, and the append succeeds once descriptors are
// back.
TEST(SegmentDescriptors, EmfileAtRotationIsAnErrorAndTheAppendSucceedsLater) {
  TempDir dir;
  FaultEnv faults;
  io::ScopedEnv scope(&faults);
  {
    auto log = open_log(dir.path(), small_segments());
    ASSERT_NE(log, nullptr);
    ASSERT_TRUE(append_records(*log, 0, 3).is_ok());
    faults.fail({FaultEnv::Op::kOpen, EMFILE, ".seg"});
    const std::string next = record_payload(3);
    auto failed = log->append(1, bytes_of(next));
    ASSERT_FALSE(failed.is_ok());
    EXPECT_NE(failed.status().message().find("Too many open files"), std::string::npos)
        << failed.status().message();
    EXPECT_NE(failed.status().message().find("ulimit -n"), std::string::npos) << failed.status().message();
    EXPECT_EQ(log->next_offset(), 3u);
    faults.clear_rules();
    auto appended = log->append(1, bytes_of(next));
    ASSERT_TRUE(appended) << appended.status().to_string();
    EXPECT_EQ(*appended, 3u);
  }
  auto reopened = open_log(dir.path(), small_segments());
  ASSERT_NE(reopened, nullptr);
  const auto records = read_all(*reopened);
  ASSERT_EQ(records.size(), 4u);
  for (std::uint64_t i = 0; i < 4; ++i) EXPECT_EQ(records.at(i), record_payload(i));
}

TEST(SegmentMappings, EnomemFromMmapAtRotationIsAnErrorAndTheAppendSucceedsLater) {
  TempDir dir;
  FaultEnv faults;
  io::ScopedEnv scope(&faults);
  {
    auto log = open_log(dir.path(), small_segments());
    ASSERT_NE(log, nullptr);
    ASSERT_TRUE(append_records(*log, 0, 3).is_ok());
    faults.fail({FaultEnv::Op::kMmap, ENOMEM, ".seg"});
    const std::string next = record_payload(3);
    auto failed = log->append(1, bytes_of(next));
    ASSERT_FALSE(failed.is_ok());
    EXPECT_NE(failed.status().message().find("mmap"), std::string::npos) << failed.status().message();
    EXPECT_NE(failed.status().message().find("vm.max_map_count"), std::string::npos)
        << failed.status().message();
    faults.clear_rules();
    auto appended = log->append(1, bytes_of(next));
    ASSERT_TRUE(appended) << appended.status().to_string();
    EXPECT_EQ(*appended, 3u);
  }
  auto reopened = open_log(dir.path(), small_segments());
  ASSERT_NE(reopened, nullptr);
  EXPECT_EQ(read_all(*reopened).size(), 4u);
}

// A reader that cannot map the next segment says why and resumes where it stopped.
TEST(SegmentMappings, AReaderThatCannotMapASegmentReportsItAndResumes) {
  TempDir dir;
  {
    auto log = open_log(dir.path(), small_segments());
    ASSERT_NE(log, nullptr);
    ASSERT_TRUE(append_records(*log, 0, 5).is_ok());
  }
  FaultEnv faults;
  io::ScopedEnv scope(&faults);
  auto log = open_log(dir.path(), small_segments(), OpenMode::kReadOnly);
  ASSERT_NE(log, nullptr);
  LogReader reader = log->scan(0);
  RecordView v;
  ASSERT_TRUE(reader.next(&v));
  EXPECT_EQ(v.offset, 0u);
  faults.fail({FaultEnv::Op::kOpen, EMFILE, segment_file_name(1)});
  EXPECT_FALSE(reader.next(&v));
  EXPECT_NE(reader.error().message().find("Too many open files"), std::string::npos)
      << reader.error().to_string();
  faults.clear_rules();
  std::uint64_t expected = 1;
  while (reader.next(&v)) EXPECT_EQ(v.offset, expected++);
  EXPECT_TRUE(reader.error().is_ok());
  EXPECT_EQ(expected, 5u);
}

}  // namespace
}  // namespace spool::segment

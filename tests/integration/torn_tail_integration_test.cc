// Guarantee 3 at the tail: a crash that tears the last frame, cut at every byte of it,
// loses exactly that frame; recovery truncates the torn bytes, reports them, keeps every
// frame before, and the next append reuses nothing that was ever acknowledged as durable.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include "segment/frame_format.h"
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
using spool::testing::read_all;

constexpr std::uint64_t kRecords = 120;

enum class Tear { kZeroed, kGarbage, kFileCut };

const char* tear_name(Tear t) {
  switch (t) {
    case Tear::kZeroed: return "zeroed";
    case Tear::kGarbage: return "garbage";
    case Tear::kFileCut: return "file-cut";
  }
  return "?";
}

void tear(const std::string& seg_path, std::uint64_t from, std::uint64_t to, Tear how) {
  std::string bytes = testing::read_file(seg_path);
  ASSERT_LE(to, bytes.size());
  switch (how) {
    case Tear::kZeroed: std::fill(bytes.begin() + from, bytes.begin() + to, '\0'); break;
    case Tear::kGarbage: std::fill(bytes.begin() + from, bytes.begin() + to, '\xAB'); break;
    case Tear::kFileCut: bytes.resize(from); break;
  }
  testing::write_file(seg_path, bytes);
}

TEST(TornTailIntegration, CutAtEveryByteOfTheLastFrameLosesOnlyThatFrame) {
  testing::TempDir root;
  const std::string base = root.sub("base");
  LogOptions o;
  o.segment_bytes = 8 * 1024;
  // The original log is written by a process that dies without closing it.
  int status = testing::run_in_child([&] {
    auto log = SegmentLog::open(base, o);
    if (!log) ::_exit(3);
    for (std::uint64_t i = 0; i < kRecords; ++i) {
      if (!(*log)->append(0, bytes_of(sample_payload(i)))) ::_exit(4);
    }
    ::_exit(0);  // dies with the log open
  });
  ASSERT_EQ(status, 0);

  // Where the last frame sits.
  std::uint64_t frame_start = 0, frame_end = 0, payload_end = 0;
  std::string last_seg;
  {
    auto ro = open_log(base, o, OpenMode::kReadOnly);
    ASSERT_NE(ro, nullptr);
    ASSERT_EQ(ro->next_offset(), kRecords);
    ASSERT_GT(ro->segment_count(), 2u) << "the test wants sealed segments before the tail";
    auto seg = ro->segments().back();
    last_seg = std::filesystem::path(seg->path()).filename();
    frame_end = seg->summary().data_end;
    frame_start = frame_end - frame_size(sample_payload(kRecords - 1).size());
    payload_end = frame_start + kFrameHeaderBytes + sample_payload(kRecords - 1).size();
    auto last = ro->read(kRecords - 1);
    ASSERT_TRUE(last);
    ASSERT_EQ(reinterpret_cast<const std::uint8_t*>(last->payload.data()) - last->mapping->data(),
              static_cast<std::ptrdiff_t>(frame_start + kFrameHeaderBytes));
  }

  int cases = 0;
  for (Tear how : {Tear::kZeroed, Tear::kGarbage, Tear::kFileCut}) {
    for (std::uint64_t cut = frame_start; cut < frame_end; ++cut) {
      SCOPED_TRACE(std::string(tear_name(how)) + " cut at byte " + std::to_string(cut));
      const std::string dir = root.sub("case");
      std::filesystem::remove_all(dir);
      std::filesystem::copy(base, dir);
      tear(dir + "/" + last_seg, cut, frame_end, how);
      ASSERT_FALSE(::testing::Test::HasFatalFailure());
      {
        auto log = open_log(dir, o);
        ASSERT_NE(log, nullptr);
        const RecoveryReport& report = log->recovery_report();
        EXPECT_TRUE(report.skipped.empty());
        // Padding is not covered by the checksum: a tear that hits only padding bytes
        // leaves the record intact (nothing is lost, so nothing is cut).
        if (how != Tear::kFileCut && cut >= payload_end) {
          EXPECT_TRUE(report.truncated.empty());
          EXPECT_EQ(log->next_offset(), kRecords);
          continue;
        }
        // Torn bytes that are not all zero are reported as truncated, from the frame start.
        const bool leftover_nonzero = how == Tear::kGarbage || cut > frame_start;
        ASSERT_EQ(report.truncated.size(), leftover_nonzero ? 1u : 0u);
        if (leftover_nonzero) {
          EXPECT_EQ(report.truncated[0].from_byte, frame_start);
        }
        EXPECT_EQ(log->next_offset(), kRecords - 1);
        auto all = read_all(*log);
        ASSERT_EQ(all.size(), kRecords - 1);
        for (std::uint64_t i = 0; i < kRecords - 1; ++i) ASSERT_EQ(all[i], sample_payload(i));
        auto off = log->append(0, bytes_of("after the crash"));
        ASSERT_TRUE(off);
        EXPECT_EQ(*off, kRecords - 1);
      }
      // A clean reopen sees the new record, and a full scan finds no damage left.
      auto ro = open_log(dir, [&] { LogOptions f = o; f.full_recovery_scan = true; return f; }(),
                         OpenMode::kReadOnly);
      ASSERT_NE(ro, nullptr);
      EXPECT_FALSE(ro->recovery_report().found_damage());
      auto all = read_all(*ro);
      ASSERT_EQ(all.size(), kRecords);
      EXPECT_EQ(all[kRecords - 1], "after the crash");
      ++cases;
    }
  }
  EXPECT_EQ(cases, static_cast<int>(3 * (frame_end - frame_start) - 2 * (frame_end - payload_end)));
}

}  // namespace
}  // namespace spool::segment

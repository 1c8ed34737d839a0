// Guarantee 7 for a full disk: appends fail with a clear NoSpace error (never a crash, never
// a partial write that recovery cannot undo), everything acknowledged before stays readable,
// and the log works again once space is freed. The disk fills through the test Env
// (tests/support/fault_env.h): from some point on every write and allocation answers ENOSPC,
// on any machine and without root.
#include <errno.h>
#include <gtest/gtest.h>

#include "segment/segment_log.h"
#include "support/fault_env.h"
#include "support/log_helpers.h"
#include "support/temp_dir.h"

namespace spool::segment {
namespace {

using spool::testing::bytes_of;
using spool::testing::FaultEnv;
using spool::testing::read_all;
using spool::testing::sample_payload;

// Fills the disk after `writes_before_full` writes; returns how many appends were acked.
std::uint64_t append_until_full(SegmentLog& log, Status* failure) {
  std::uint64_t acked = 0;
  for (std::uint64_t i = 0; i < 100000; ++i) {
    auto off = log.append(0, bytes_of(sample_payload(i)));
    if (!off) {
      *failure = off.status();
      break;
    }
    EXPECT_EQ(*off, i);
    ++acked;
  }
  return acked;
}

class DiskFullIntegration : public ::testing::TestWithParam<int> {};

TEST_P(DiskFullIntegration, FullDiskIsAClearErrorAndLosesNothingAcknowledged) {
  testing::TempDir tmp;
  const std::string dir = tmp.sub("log");
  LogOptions o;
  o.segment_bytes = 64 * 1024;
  FaultEnv faults;
  io::ScopedEnv scope(&faults);
  // The disk fills after GetParam() writes: at a rotation (allocation of the next segment) or
  // in the middle of one, depending on where the count lands.
  faults.fail({FaultEnv::Op::kWrite, ENOSPC, ".seg", static_cast<std::uint64_t>(GetParam())});
  faults.fail({FaultEnv::Op::kAllocate, ENOSPC, ".seg", 2});
  std::uint64_t acked = 0;
  {
    auto log = SegmentLog::open(dir, o);
    ASSERT_TRUE(log) << log.status().to_string();
    Status failure;
    acked = append_until_full(**log, &failure);
    ASSERT_FALSE(failure.is_ok()) << "the disk never filled";
    EXPECT_EQ(failure.code(), StatusCode::kNoSpace) << failure.to_string();
    EXPECT_NE(failure.message().find("No space left on device"), std::string::npos);
    // Still usable for reads, and further appends keep failing cleanly.
    EXPECT_EQ(read_all(**log).size(), acked);
    EXPECT_EQ((*log)->append(0, bytes_of("more")).status().code(), StatusCode::kNoSpace);
    EXPECT_EQ((*log)->next_offset(), acked);
  }
  faults.clear_rules();  // space freed
  // Reopen: nothing to repair, every acknowledged record intact.
  auto log = SegmentLog::open(dir, o);
  ASSERT_TRUE(log) << log.status().to_string();
  EXPECT_FALSE((*log)->recovery_report().found_damage());
  auto all = read_all(**log);
  ASSERT_EQ(all.size(), acked);
  for (const auto& [off, payload] : all) EXPECT_EQ(payload, sample_payload(off));
  for (int i = 0; i < 500; ++i) {
    auto off = (*log)->append(0, bytes_of(sample_payload(acked + i)));
    ASSERT_TRUE(off) << off.status().to_string();
    EXPECT_EQ(*off, acked + static_cast<std::uint64_t>(i));
  }
}

INSTANTIATE_TEST_SUITE_P(AtVariousPoints, DiskFullIntegration, ::testing::Values(2, 7, 40, 200));

}  // namespace
}  // namespace spool::segment

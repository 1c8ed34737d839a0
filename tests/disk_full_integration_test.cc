// Guarantee 7 for a full disk: appends fail with a clear NoSpace error (never a crash, never
// a partial write that recovery cannot undo), everything acknowledged before stays readable,
// and the log works again once space is freed. The disk is a 256 KiB tmpfs mounted in a
// private mount namespace of a child process (needs root; skipped otherwise).
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>

#include "segment/segment_log.h"
#include "support/child_process.h"
#include "support/log_helpers.h"
#include "support/temp_dir.h"

namespace spool::segment {
namespace {

using spool::testing::bytes_of;
using spool::testing::read_all;
using spool::testing::sample_payload;

constexpr int kSkip = 77;

// Runs in the child; returns 0 on success, a line number on failure.
int fill_the_disk(const std::string& mount_point) {
  if (::unshare(CLONE_NEWNS) != 0) return kSkip;
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) return kSkip;
  if (::mount("tmpfs", mount_point.c_str(), "tmpfs", 0, "size=256k") != 0) return kSkip;
  const std::string dir = mount_point + "/log";
  LogOptions o;
  o.segment_bytes = 64 * 1024;
  std::uint64_t acked = 0;
  Status failure;
  {
    auto log = SegmentLog::open(dir, o);
    if (!log) return __LINE__;
    for (std::uint64_t i = 0; i < 100000; ++i) {
      auto off = (*log)->append(0, bytes_of(sample_payload(i)));
      if (!off) {
        failure = off.status();
        break;
      }
      if (*off != i) return __LINE__;
      ++acked;
    }
    if (failure.is_ok()) return __LINE__;  // the disk never filled?
    if (failure.code() != StatusCode::kNoSpace) return __LINE__;
    if (failure.message().find("No space left on device") == std::string::npos) return __LINE__;
    // Still usable for reads, and further appends keep failing cleanly.
    if (read_all(**log).size() != acked) return __LINE__;
    if ((*log)->append(0, bytes_of("more")).status().code() != StatusCode::kNoSpace) return __LINE__;
    if ((*log)->next_offset() != acked) return __LINE__;
  }
  // Reopen: nothing to repair, every acknowledged record intact.
  auto log = SegmentLog::open(dir, o);
  if (!log) return __LINE__;
  if ((*log)->recovery_report().found_damage()) return __LINE__;
  auto all = read_all(**log);
  if (all.size() != acked) return __LINE__;
  for (const auto& [off, payload] : all) {
    if (payload != sample_payload(off)) return __LINE__;
  }
  // Free space by retention, and appends work again with the next offset.
  (*log)->set_retention(64 * 1024 * 2, 0);
  auto deleted = (*log)->enforce_retention();
  if (!deleted || *deleted == 0) return __LINE__;
  for (int i = 0; i < 500; ++i) {
    auto off = (*log)->append(0, bytes_of(sample_payload(acked + i)));
    if (!off || *off != acked + static_cast<std::uint64_t>(i)) return __LINE__;
  }
  ::umount(mount_point.c_str());
  return 0;
}

TEST(DiskFullIntegration, FullDiskIsAClearErrorAndLosesNothingAcknowledged) {
  testing::TempDir mount_point;
  int status = testing::run_in_child([&] { ::_exit(fill_the_disk(mount_point.path())); });
  if (status == kSkip) GTEST_SKIP() << "cannot mount a small tmpfs here (needs root)";
  EXPECT_EQ(status, 0) << "failed at disk_full_integration_test.cc line " << status;
}

}  // namespace
}  // namespace spool::segment

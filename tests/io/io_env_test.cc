// io::Env (the one door to the file system) and the test FaultEnv built on it: every io/
// call reaches the installed Env, and the FaultEnv's faults (errno rules, short writes,
// crash points, power loss) behave as the tests that rely on them assume.
#include "io/env.h"

#include <errno.h>
#include <fcntl.h>
#include <gtest/gtest.h>

#include <string>

#include "io/file.h"
#include "io/mmap_region.h"
#include "support/fault_env.h"
#include "support/temp_dir.h"

namespace spool::io {
namespace {

using spool::testing::FaultEnv;
using spool::testing::TempDir;

TEST(IoEnv, PosixIsTheDefaultAndScopedEnvRestoresIt) {
  EXPECT_TRUE(default_env_installed());
  EXPECT_EQ(&env(), &posix_env());
  FaultEnv faults;
  {
    ScopedEnv scope(&faults);
    EXPECT_FALSE(default_env_installed());
    EXPECT_EQ(&env(), &faults);
  }
  EXPECT_TRUE(default_env_installed());
}

TEST(IoEnv, PosixListDirectoryTellsFilesFromDirectories) {
  TempDir dir;
  spool::testing::write_file(dir.sub("a.seg"), "x");
  ASSERT_EQ(make_directory(dir.sub("sub")), 0);
  std::vector<DirEntry> entries;
  ASSERT_EQ(env().list_directory(dir.path(), &entries), 0);
  ASSERT_EQ(entries.size(), 2u);
  for (const DirEntry& e : entries) {
    if (e.name == "a.seg") EXPECT_TRUE(e.regular_file && !e.directory);
    else EXPECT_TRUE(e.name == "sub" && e.directory && !e.regular_file);
  }
  EXPECT_EQ(env().list_directory(dir.sub("missing"), &entries), -ENOENT);
}

TEST(FaultEnv, RuleFailsMatchingCallsAfterSkipForTimes) {
  TempDir dir;
  FaultEnv faults;
  ScopedEnv scope(&faults);
  faults.fail({FaultEnv::Op::kWrite, ENOSPC, "target", /*skip=*/1, /*times=*/2});
  File target, other;
  ASSERT_EQ(File::open(dir.sub("target"), O_RDWR | O_CREAT, 0600, &target), 0);
  ASSERT_EQ(File::open(dir.sub("other"), O_RDWR | O_CREAT, 0600, &other), 0);
  EXPECT_EQ(target.pwrite_full("a", 1, 0), 0);        // skipped
  EXPECT_EQ(target.pwrite_full("b", 1, 1), -ENOSPC);  // fired 1
  EXPECT_EQ(other.pwrite_full("c", 1, 0), 0);         // path does not match
  EXPECT_EQ(target.pwrite_full("d", 1, 1), -ENOSPC);  // fired 2
  EXPECT_EQ(target.pwrite_full("e", 1, 1), 0);        // used up
  EXPECT_EQ(faults.injected(FaultEnv::Op::kWrite), 2u);
  EXPECT_EQ(faults.calls(FaultEnv::Op::kWrite), 5u);
}

TEST(FaultEnv, OpenMmapAndSyncFailuresReachTheCaller) {
  TempDir dir;
  FaultEnv faults;
  ScopedEnv scope(&faults);
  faults.fail({FaultEnv::Op::kOpen, EMFILE, "", 0, 1});
  File f;
  EXPECT_EQ(File::open(dir.sub("f"), O_RDWR | O_CREAT, 0600, &f), -EMFILE);
  ASSERT_EQ(File::open(dir.sub("f"), O_RDWR | O_CREAT, 0600, &f), 0);
  ASSERT_EQ(f.allocate(0, 4096), 0);
  faults.fail({FaultEnv::Op::kMmap, ENOMEM, "", 0, 1});
  MmapRegion region;
  EXPECT_EQ(MmapRegion::map(f.fd(), 4096, false, &region), -ENOMEM);
  EXPECT_EQ(MmapRegion::map(f.fd(), 4096, false, &region), 0);
  faults.fail({FaultEnv::Op::kSync, EIO, "", 0, 1});
  EXPECT_EQ(f.datasync(), -EIO);
  EXPECT_EQ(f.datasync(), 0);
}

TEST(FaultEnv, ShortWritesAreCompletedByPwriteFull) {
  TempDir dir;
  FaultEnv faults;
  ScopedEnv scope(&faults);
  faults.set_max_write_bytes(3);
  File f;
  ASSERT_EQ(File::open(dir.sub("f"), O_RDWR | O_CREAT, 0600, &f), 0);
  const std::string text = "a sentence longer than three bytes";
  ASSERT_EQ(f.pwrite_full(text.data(), text.size(), 0), 0);
  EXPECT_GE(faults.calls(FaultEnv::Op::kWrite), text.size() / 3);
  EXPECT_EQ(spool::testing::read_file(dir.sub("f")), text);
}

TEST(FaultEnv, CrashStopsEveryLaterMutation) {
  TempDir dir;
  FaultEnv faults;
  ScopedEnv scope(&faults);
  File f;
  ASSERT_EQ(File::open(dir.sub("f"), O_RDWR | O_CREAT, 0600, &f), 0);
  faults.crash_after_mutations(1);
  EXPECT_EQ(f.pwrite_full("a", 1, 0), 0);
  EXPECT_TRUE(faults.crashed());
  EXPECT_EQ(f.pwrite_full("b", 1, 1), -EIO);
  EXPECT_EQ(make_directory(dir.sub("d")), -EIO);
  EXPECT_EQ(rename_path(dir.sub("f"), dir.sub("g")), -EIO);
  EXPECT_EQ(spool::testing::read_file(dir.sub("f")), "a");
}

TEST(FaultEnv, PowerLossZeroesWhatWasNotSynced) {
  TempDir dir;
  FaultEnv faults;
  ScopedEnv scope(&faults);
  File f;
  ASSERT_EQ(File::open(dir.sub("f"), O_RDWR | O_CREAT, 0600, &f), 0);
  ASSERT_EQ(f.pwrite_full("durable", 7, 0), 0);
  ASSERT_EQ(f.datasync(), 0);
  EXPECT_EQ(faults.unsynced_bytes(), 0u);
  ASSERT_EQ(f.pwrite_full("LOST", 4, 7), 0);
  // A failed sync makes nothing durable.
  faults.fail({FaultEnv::Op::kSync, EIO, "", 0, 1});
  EXPECT_EQ(f.datasync(), -EIO);
  EXPECT_EQ(faults.unsynced_bytes(), 4u);
  // Renamed away and closed: still lost.
  ASSERT_EQ(f.close(), 0);
  ASSERT_EQ(rename_path(dir.sub("f"), dir.sub("g")), 0);
  faults.drop_unsynced_writes();
  EXPECT_EQ(spool::testing::read_file(dir.sub("g")), std::string("durable") + std::string(4, '\0'));
}

}  // namespace
}  // namespace spool::io

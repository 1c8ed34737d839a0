// io/dir_lock.h: one writer per log directory, and a refused opener learns who holds it.
#include "io/dir_lock.h"

#include <errno.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include <gtest/gtest.h>

#include "support/child_process.h"
#include "support/temp_dir.h"

namespace spool::io {
namespace {

using spool::testing::fork_tied_to_parent;
using spool::testing::ForkedChild;
using spool::testing::read_file;
using spool::testing::TempDir;
using spool::testing::write_file;

TEST(DirLock, AcquireHoldsAndRecordsOurPid) {
  TempDir dir;
  DirLock lock;
  EXPECT_FALSE(lock.held());
  pid_t holder = -1;
  ASSERT_EQ(DirLock::acquire(dir.path(), &lock, &holder), 0);
  EXPECT_TRUE(lock.held());
  EXPECT_EQ(holder, 0);  // nobody else held it
  EXPECT_EQ(read_file(dir.sub(DirLock::kFileName)), std::to_string(::getpid()) + "\n");
}

TEST(DirLock, StalePidFromAnEarlierHolderIsReplaced) {
  TempDir dir;
  write_file(dir.sub(DirLock::kFileName), "99999999999\nleftover text from a longer record\n");
  DirLock lock;
  pid_t holder = -1;
  ASSERT_EQ(DirLock::acquire(dir.path(), &lock, &holder), 0);
  EXPECT_EQ(read_file(dir.sub(DirLock::kFileName)), std::to_string(::getpid()) + "\n");
}

TEST(DirLock, SecondAcquireInSameProcessIsRefusedWithOurPid) {
  TempDir dir;
  DirLock first;
  pid_t holder = -1;
  ASSERT_EQ(DirLock::acquire(dir.path(), &first, &holder), 0);

  DirLock second;
  holder = -1;
  EXPECT_EQ(DirLock::acquire(dir.path(), &second, &holder), -EWOULDBLOCK);
  EXPECT_EQ(holder, ::getpid());
  EXPECT_FALSE(second.held());
  EXPECT_TRUE(first.held());
  // The refused attempt must not have disturbed the holder's record.
  EXPECT_EQ(read_file(dir.sub(DirLock::kFileName)), std::to_string(::getpid()) + "\n");
}

TEST(DirLock, ReleaseLetsTheNextAcquireSucceed) {
  TempDir dir;
  DirLock first;
  pid_t holder = 0;
  ASSERT_EQ(DirLock::acquire(dir.path(), &first, &holder), 0);
  first.release();
  EXPECT_FALSE(first.held());
  first.release();  // twice is harmless

  DirLock second;
  ASSERT_EQ(DirLock::acquire(dir.path(), &second, &holder), 0);
  EXPECT_TRUE(second.held());
}

TEST(DirLock, DestructionReleases) {
  TempDir dir;
  pid_t holder = 0;
  {
    DirLock scoped;
    ASSERT_EQ(DirLock::acquire(dir.path(), &scoped, &holder), 0);
  }
  DirLock again;
  EXPECT_EQ(DirLock::acquire(dir.path(), &again, &holder), 0);
}

TEST(DirLock, MovedLockStaysHeld) {
  TempDir dir;
  pid_t holder = 0;
  DirLock a;
  ASSERT_EQ(DirLock::acquire(dir.path(), &a, &holder), 0);
  DirLock b = std::move(a);
  EXPECT_TRUE(b.held());
  DirLock other;
  EXPECT_EQ(DirLock::acquire(dir.path(), &other, &holder), -EWOULDBLOCK);
  b.release();
  EXPECT_EQ(DirLock::acquire(dir.path(), &other, &holder), 0);
}

TEST(DirLock, LocksAreIndependentPerDirectory) {
  TempDir d1, d2;
  pid_t holder = 0;
  DirLock a, b;
  EXPECT_EQ(DirLock::acquire(d1.path(), &a, &holder), 0);
  EXPECT_EQ(DirLock::acquire(d2.path(), &b, &holder), 0);
}

TEST(DirLock, MissingDirectoryIsNegativeEnoent) {
  TempDir dir;
  DirLock lock;
  pid_t holder = -1;
  EXPECT_EQ(DirLock::acquire(dir.sub("absent"), &lock, &holder), -ENOENT);
  EXPECT_EQ(holder, 0);
  EXPECT_FALSE(lock.held());
}

TEST(DirLock, ReleasedWhenAHoldingChildIsKilled) {
  TempDir dir;
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  ForkedChild child(fork_tied_to_parent());
  ASSERT_GE(child.pid(), 0);
  if (child.pid() == 0) {
    ::close(ready[0]);
    DirLock lock;
    pid_t holder = 0;
    const char status = DirLock::acquire(dir.path(), &lock, &holder) == 0 ? 'L' : 'F';
    if (::write(ready[1], &status, 1) != 1) ::_exit(3);
    for (;;) ::pause();  // hold the lock until killed
  }
  ::close(ready[1]);
  char status = 0;
  const ssize_t n = ::read(ready[0], &status, 1);
  ::close(ready[0]);
  ASSERT_TRUE(n == 1 && status == 'L') << "child could not take the lock";

  DirLock mine;
  pid_t holder = 0;
  EXPECT_EQ(DirLock::acquire(dir.path(), &mine, &holder), -EWOULDBLOCK);
  EXPECT_EQ(holder, child.pid());
  EXPECT_FALSE(mine.held());

  EXPECT_EQ(child.kill_and_wait(), 128 + SIGKILL);

  // The kernel dropped the dead holder's lock: no stale-lock cleanup needed.
  holder = -1;
  EXPECT_EQ(DirLock::acquire(dir.path(), &mine, &holder), 0);
  EXPECT_TRUE(mine.held());
  EXPECT_EQ(read_file(dir.sub(DirLock::kFileName)), std::to_string(::getpid()) + "\n");
}

}  // namespace
}  // namespace spool::io

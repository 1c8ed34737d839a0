// One writer per log directory: a second writer, in this process or another, gets a clear
// error naming the holder's pid; the lock dies with its holder, even on kill -9.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "segment/segment_log.h"
#include "support/child_process.h"
#include "support/log_helpers.h"
#include "support/temp_dir.h"

namespace spool::segment {
namespace {

using spool::testing::bytes_of;
using spool::testing::open_log;

TEST(DirLockIntegration, SecondWriterInSameProcessIsRefusedWithPid) {
  testing::TempDir dir;
  auto first = open_log(dir.path(), LogOptions{});
  ASSERT_NE(first, nullptr);
  auto second = SegmentLog::open(dir.path(), LogOptions{});
  ASSERT_FALSE(second);
  EXPECT_EQ(second.status().code(), StatusCode::kLocked);
  EXPECT_NE(second.status().message().find("locked by pid " + std::to_string(::getpid())),
            std::string::npos)
      << second.status().message();
  // Readers are not writers: a read-only open works next to the writer.
  EXPECT_TRUE(SegmentLog::open(dir.path(), LogOptions{}, OpenMode::kReadOnly));
  ASSERT_TRUE(first->close());
  EXPECT_TRUE(SegmentLog::open(dir.path(), LogOptions{}));
}

TEST(DirLockIntegration, WriterInAnotherProcessIsNamedAndItsDeathReleasesTheLock) {
  testing::TempDir dir;
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  testing::ForkedChild child(testing::fork_tied_to_parent());
  if (child.pid() == 0) {
    auto log = SegmentLog::open(dir.path(), LogOptions{});
    char c = log ? 'y' : 'n';
    if (log) (void)(*log)->append(0, bytes_of("held"));
    (void)!::write(ready[1], &c, 1);
    for (;;) ::pause();
  }
  char c = 0;
  ASSERT_EQ(::read(ready[0], &c, 1), 1);
  ASSERT_EQ(c, 'y');
  auto refused = SegmentLog::open(dir.path(), LogOptions{});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.status().code(), StatusCode::kLocked);
  EXPECT_NE(refused.status().message().find("locked by pid " + std::to_string(child.pid())),
            std::string::npos)
      << refused.status().message();
  child.kill_and_wait();
  ::close(ready[0]);
  ::close(ready[1]);
  auto log = open_log(dir.path(), LogOptions{});
  ASSERT_NE(log, nullptr);
  EXPECT_EQ(log->next_offset(), 1u);
}

}  // namespace
}  // namespace spool::segment

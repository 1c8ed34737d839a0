// io/process_identity: a process is named by pid plus start time, and "alive" is false only
// when the process is certainly gone (ended and reaped, a zombie, or its pid reused).
#include "io/process_identity.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "support/child_process.h"

namespace spool {
namespace {

TEST(ProcessIdentity, ThisProcessIsAliveAndAStartTimeThatDiffersIsNot) {
  const std::uint64_t ticks = io::own_start_ticks();
  ASSERT_NE(ticks, 0u);
  EXPECT_EQ(io::process_start_ticks(::getpid()), ticks);
  EXPECT_TRUE(io::process_alive(::getpid(), ticks));
  EXPECT_FALSE(io::process_alive(::getpid(), ticks + 1));  // a reused pid started later
  EXPECT_FALSE(io::process_alive(0, ticks));
  EXPECT_FALSE(io::process_alive(-1, ticks));
  EXPECT_EQ(io::process_start_ticks(0), 0u);
}

TEST(ProcessIdentity, AnEndedAndReapedChildIsNotAlive) {
  testing::ForkedChild child = testing::ForkedChild::start([] { return 0; });
  const pid_t pid = child.pid();
  const std::uint64_t child_ticks = io::process_start_ticks(pid);
  ASSERT_EQ(child.wait(), 0);
  EXPECT_FALSE(io::process_alive(pid, child_ticks));
}

TEST(ProcessIdentity, AKilledChildIsNotAliveBeforeItsParentReapsIt) {
  // A producer killed while its parent (a worker pool's master, this test) has not reaped it
  // yet is a zombie: kill(pid, 0) still succeeds and /proc still has its start time.
  testing::ForkedChild child = testing::ForkedChild::start([] {
    for (;;) ::pause();
  });
  const pid_t pid = child.pid();
  std::uint64_t child_ticks = 0;
  for (int i = 0; i < 1000 && child_ticks == 0; ++i) child_ticks = io::process_start_ticks(pid);
  ASSERT_NE(child_ticks, 0u);
  EXPECT_TRUE(io::process_alive(pid, child_ticks));
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  // Not reaped: wait (bounded) until the kernel has made it a zombie.
  bool gone = false;
  for (int i = 0; i < 5000 && !gone; ++i) {
    gone = !io::process_alive(pid, child_ticks);
    if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_TRUE(gone) << "a zombie counted as alive";
  EXPECT_EQ(child.wait(), 128 + SIGKILL);
}

TEST(ProcessIdentity, ThreadIdsDifferBetweenThreads) {
  const pid_t main_tid = io::current_tid();
  EXPECT_EQ(main_tid, ::getpid());
  pid_t other = 0;
  std::thread([&] { other = io::current_tid(); }).join();
  EXPECT_NE(other, 0);
  EXPECT_NE(other, main_tid);
}

}  // namespace
}  // namespace spool

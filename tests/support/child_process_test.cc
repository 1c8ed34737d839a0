// The guards that keep a test's child processes from outliving it (support/child_process.h,
// support/subprocess.h) and the build-scaled deadlines (support/time_scale.h). An orphan that
// holds the test's stdout makes ctest wait for ever; these tests show that it cannot happen:
// a child ends when its guard goes away, when its test process dies without running any
// destructor, and when a wait on it runs out.
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>

#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include "support/child_process.h"
#include "support/subprocess.h"
#include "support/time_scale.h"

namespace spool::testing {
namespace {

// True if `pid` is a child of this process that has not been reaped.
bool is_unreaped_child(pid_t pid) {
  siginfo_t info{};
  return ::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0;
}

// Waits (up to a scaled safety limit) until every writer of the pipe's read end `fd` is gone.
bool sees_end_of_file(int fd) {
  const auto deadline = std::chrono::steady_clock::now() + scaled(std::chrono::seconds(30));
  char c;
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) == 1) {
      const ssize_t n = ::read(fd, &c, 1);
      if (n == 0) return true;
      if (n < 0 && errno != EINTR && errno != EAGAIN) return false;
    }
    if (std::chrono::steady_clock::now() > deadline) return false;
  }
}

TEST(ForkedChild, DestructorKillsAndReapsARunningChild) {
  pid_t pid = -1;
  {
    ForkedChild child = ForkedChild::start([] {
      for (;;) ::pause();
    });
    ASSERT_TRUE(child.started());
    pid = child.pid();
    EXPECT_EQ(child.try_wait(), std::nullopt);
  }
  // Reaped: no longer our child, in any state.
  EXPECT_FALSE(is_unreaped_child(pid));
}

// What a failed ASSERT does: return from the test body early, with the child still running.
void start_then_return_early(pid_t* pid) {
  ForkedChild child = ForkedChild::start([] {
    for (;;) ::pause();
  });
  *pid = child.pid();
  ASSERT_TRUE(false) << "returns here, as a failed ASSERT does";  // intercepted by the caller
}

TEST(ForkedChild, AnAssertThatReturnsEarlyStillEndsTheChild) {
  pid_t pid = -1;
  // The failure inside is expected; only its effect on the child matters here.
  {
    ::testing::TestPartResultArray failures;
    ::testing::ScopedFakeTestPartResultReporter reporter(
        ::testing::ScopedFakeTestPartResultReporter::INTERCEPT_ONLY_CURRENT_THREAD, &failures);
    start_then_return_early(&pid);
    ASSERT_EQ(failures.size(), 1);
  }
  ASSERT_GT(pid, 0);
  EXPECT_FALSE(is_unreaped_child(pid));
}

TEST(ForkedChild, WaitReturnsTheExitCodeOrTheSignal) {
  EXPECT_EQ(ForkedChild::start([] { return 7; }).wait(), 7);
  EXPECT_EQ(ForkedChild::start([] {}).wait(), 0);
  ForkedChild looping = ForkedChild::start([] {
    for (;;) ::pause();
  });
  EXPECT_EQ(looping.try_wait(), std::nullopt);
  EXPECT_EQ(looping.kill_and_wait(), 128 + SIGKILL);
  EXPECT_EQ(looping.wait(), -1);  // nothing left to wait for
  EXPECT_EQ(run_in_child([] { ::raise(SIGABRT); }), 128 + SIGABRT);
}

TEST(ForkedChild, WaitKillsAChildStillRunningAtTheLimit) {
  ForkedChild child = ForkedChild::start([] {
    for (;;) ::pause();
  });
  const pid_t pid = child.pid();
  EXPECT_EQ(child.wait(std::chrono::milliseconds(50)), -1);
  EXPECT_FALSE(child.started());
  EXPECT_FALSE(is_unreaped_child(pid));
}

// The case behind a hung ctest: the test process dies (ctest's timeout sends SIGKILL, or it
// crashes) and no destructor runs. Its child, holding the test's output pipe, must die too.
// Here a middle process plays the test: it starts a grandchild that holds the write end of a
// pipe and then dies with SIGKILL; the read end sees end of file only when the grandchild is
// gone.
TEST(ForkedChild, DiesWhenTheTestProcessIsKilled) {
  int pipe_fds[2];
  ASSERT_EQ(::pipe2(pipe_fds, O_CLOEXEC), 0);
  ForkedChild test_process = ForkedChild::start([&] {
    ForkedChild held = ForkedChild::start([] {
      for (;;) ::pause();  // holds pipe_fds[1], as a test's child holds its stdout
    });
    ::raise(SIGKILL);
  });
  ::close(pipe_fds[1]);
  EXPECT_EQ(test_process.wait(), 128 + SIGKILL);
  EXPECT_TRUE(sees_end_of_file(pipe_fds[0])) << "the grandchild outlived the process that started it";
  ::close(pipe_fds[0]);
}

TEST(ChildProcess, DiesWhenTheTestProcessIsKilled) {
  int pipe_fds[2];
  ASSERT_EQ(::pipe2(pipe_fds, O_CLOEXEC), 0);
  ForkedChild test_process = ForkedChild::start([&] {
    ::fcntl(pipe_fds[1], F_SETFD, 0);  // the program inherits the write end
    ChildProcess sleeper({"/bin/sleep", "1000"});
    if (!sleeper.started()) ::_exit(1);
    ::raise(SIGKILL);
  });
  ::close(pipe_fds[1]);
  EXPECT_EQ(test_process.wait(), 128 + SIGKILL);
  EXPECT_TRUE(sees_end_of_file(pipe_fds[0])) << "the program outlived the process that started it";
  ::close(pipe_fds[0]);
}

TEST(ChildProcess, WaitKillsAProgramStillRunningAtTheLimit) {
  // Closes its output at once and keeps running: a wait on output alone would never end.
  ProcessResult r = run_process({"/bin/sh", "-c", "exec >&- 2>&-; exec sleep 1000"}, {},
                                std::chrono::milliseconds(200));
  EXPECT_EQ(r.signal, SIGKILL);
  ProcessResult chatty = run_process({"/bin/sh", "-c", "echo hello; exec sleep 1000"}, {},
                                     std::chrono::milliseconds(200));
  EXPECT_EQ(chatty.signal, SIGKILL);
  EXPECT_EQ(chatty.out, "hello\n");
  ProcessResult done = run_process({"/bin/sh", "-c", "cat; exit 3"}, "in");
  EXPECT_EQ(done.exit_code, 3);
  EXPECT_EQ(done.out, "in");
}

TEST(TimeScale, MultipliesByTheBuildFactorAndTheEnvironment) {
  const char* saved = std::getenv("SPOOL_TEST_TIME_SCALE");
  const std::string saved_value = saved ? saved : "";
  ::unsetenv("SPOOL_TEST_TIME_SCALE");
  const double build = time_scale();
  EXPECT_GE(build, 1.0);
  EXPECT_EQ(scaled(std::chrono::milliseconds(1000)).count(), static_cast<long>(1000 * build));
  ::setenv("SPOOL_TEST_TIME_SCALE", "2.5", 1);
  EXPECT_DOUBLE_EQ(time_scale(), 2.5 * build);
  EXPECT_EQ(scaled(std::chrono::milliseconds(1000)).count(), static_cast<long>(2500 * build));
  for (const char* ignored : {"0", "-2", "abc", "2x", ""}) {
    ::setenv("SPOOL_TEST_TIME_SCALE", ignored, 1);
    EXPECT_DOUBLE_EQ(time_scale(), build) << "SPOOL_TEST_TIME_SCALE=" << ignored;
  }
  EXPECT_EQ(scaled(std::chrono::milliseconds(0)).count(), 0);
  if (saved) {
    ::setenv("SPOOL_TEST_TIME_SCALE", saved_value.c_str(), 1);
  } else {
    ::unsetenv("SPOOL_TEST_TIME_SCALE");
  }
}

}  // namespace
}  // namespace spool::testing

#include "support/child_process.h"

#include <errno.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include <thread>

#include "support/time_scale.h"

namespace spool::testing {

void die_with_parent(pid_t parent) {
  // Only async-signal-safe calls here: the test may have threads, and this runs after fork.
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) ::_exit(126);
  // The parent may have died between fork() and prctl(): then nothing would ever kill us.
  if (::getppid() != parent) ::_exit(126);
}

pid_t fork_tied_to_parent() {
  std::fflush(nullptr);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid == 0) die_with_parent(parent);
  return pid;
}

void kill_and_reap(pid_t pid) {
  if (pid <= 0) return;
  ::kill(pid, SIGKILL);
  int status;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
}

int exit_code_of(int wait_status) {
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return WEXITSTATUS(wait_status);
}

ForkedChild::~ForkedChild() { kill_and_reap(pid_); }

ForkedChild& ForkedChild::operator=(ForkedChild&& other) noexcept {
  if (this != &other) {
    kill_and_reap(pid_);
    pid_ = std::exchange(other.pid_, -1);
  }
  return *this;
}

std::optional<int> ForkedChild::try_wait() {
  if (pid_ <= 0) return std::nullopt;
  int status = 0;
  pid_t r;
  do {
    r = ::waitpid(pid_, &status, WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r == 0) return std::nullopt;
  pid_ = -1;  // reaped (or not our child any more: nothing left to kill either way)
  if (r < 0) return -1;
  return exit_code_of(status);
}

int ForkedChild::wait(std::chrono::milliseconds limit) {
  if (pid_ <= 0) return -1;
  const auto deadline = std::chrono::steady_clock::now() + scaled(limit);
  // Polling keeps this free of SIGCHLD handlers (which would disturb the code under test);
  // the step is short next to anything a test waits for.
  for (;;) {
    if (auto code = try_wait()) return *code;
    if (std::chrono::steady_clock::now() >= deadline) {
      kill_and_reap(std::exchange(pid_, -1));
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

bool ForkedChild::signal(int signal) { return pid_ > 0 && ::kill(pid_, signal) == 0; }

int ForkedChild::kill_and_wait() {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGKILL);
  int status = 0;
  pid_t r;
  do {
    r = ::waitpid(pid_, &status, 0);
  } while (r < 0 && errno == EINTR);
  pid_ = -1;
  return r < 0 ? -1 : exit_code_of(status);
}

}  // namespace spool::testing

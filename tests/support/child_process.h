// Running a piece of a test in a forked child: to crash with files open (as after kill -9),
// to install a seccomp filter or a resource limit, or to guard against a hang.
//
// A forked child must never outlive its test: an orphan keeps the test's stdout open, and
// ctest waits for that pipe to close. So every child is owned by a ForkedChild (killed and
// reaped when it goes out of scope, also when an ASSERT returns early), and every child is
// killed by the kernel when the test process dies (PR_SET_PDEATHSIG), also when ctest's
// timeout kills the test with SIGKILL and no destructor runs.
#pragma once

#include <sys/types.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <optional>
#include <type_traits>
#include <utility>

namespace spool::testing {

// Whether a child forked while this process runs other threads may itself allocate and start
// threads. Not under the sanitizers: ThreadSanitizer ends such a child (die_after_fork), and
// AddressSanitizer's allocator (GCC 12's libasan) takes no lock around fork(), so a child can
// inherit an allocator lock that a parent thread held at that instant and wait on it forever.
// glibc's malloc is fork-safe, so the Release build runs these tests.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
inline constexpr bool kForkBesideThreadsIsSafe = false;
#else
inline constexpr bool kForkBesideThreadsIsSafe = true;
#endif

// fork(), and in the child: SIGKILL when the forking thread of the parent ends (the test's
// thread, whose end is the test process's end). Returns as fork() does. Flushes stdio first
// so the child does not write the parent's buffered output a second time.
pid_t fork_tied_to_parent();

// In a child just forked (or about to exec): asks for SIGKILL when the parent dies, and
// exits at once if it already has. `parent` is the parent's pid read before fork().
void die_with_parent(pid_t parent);

// SIGKILL and reap `pid` (a child of this process). Safe to call on a child that has already
// ended but was not reaped.
void kill_and_reap(pid_t pid);

// How a child ended: its exit code, or 128 + the signal that ended it.
int exit_code_of(int wait_status);

// A forked child owned by the test. The destructor kills (SIGKILL) and reaps it unless it
// was already reaped by wait()/try_wait()/kill_and_wait(). Move-only.
class ForkedChild {
 public:
  // How long wait() waits by default: a safety limit that turns a hung child into a failed
  // test, not a timing check.
  static constexpr std::chrono::milliseconds kSafetyLimit{180'000};

  // Forks; the child runs `body` and _exits with its int result (or 0 for a void body). To
  // crash with a log open, the body calls ::_exit itself while the log is in scope.
  template <typename Body>
  static ForkedChild start(Body body) {
    const pid_t pid = fork_tied_to_parent();
    if (pid == 0) {
      if constexpr (std::is_void_v<std::invoke_result_t<Body>>) {
        body();
        ::_exit(0);
      } else {
        ::_exit(body());
      }
    }
    return ForkedChild(pid);
  }

  ForkedChild() = default;
  explicit ForkedChild(pid_t pid) : pid_(pid) {}  // owns a child already forked
  ~ForkedChild();
  ForkedChild(ForkedChild&& other) noexcept : pid_(std::exchange(other.pid_, -1)) {}
  ForkedChild& operator=(ForkedChild&& other) noexcept;
  ForkedChild(const ForkedChild&) = delete;
  ForkedChild& operator=(const ForkedChild&) = delete;

  bool started() const noexcept { return pid_ > 0; }
  pid_t pid() const noexcept { return pid_; }

  // If the child has ended: reaps it and returns exit_code_of its status. Else nullopt.
  std::optional<int> try_wait();

  // Waits up to scaled(limit) (see time_scale.h) for the child to end and returns
  // exit_code_of its status. A child still running then is killed and -1 is returned; -1
  // also if no child was started.
  int wait(std::chrono::milliseconds limit = kSafetyLimit);

  // Sends `signal` (the child keeps running if it handles it; wait() afterwards).
  bool signal(int signal);

  // SIGKILL, reap, and return exit_code_of the status (128 + SIGKILL unless it had already
  // ended by itself).
  int kill_and_wait();

 private:
  pid_t pid_ = -1;  // -1 once reaped
};

// Runs `body` in a forked child and returns the child's exit code, 128 + the signal that
// ended it, or -1 if fork failed or the child was still running after the safety limit (it
// is killed then). A body returning int gives the exit code; a void body exits 0 when it
// returns.
template <typename Body>
int run_in_child(Body body) {
  ForkedChild child = ForkedChild::start(std::move(body));
  return child.wait();
}

}  // namespace spool::testing

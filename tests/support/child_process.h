// Running a piece of a test in a forked child: to crash with files open (as after kill -9),
// to install a seccomp filter or a resource limit, or to guard against a hang.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <type_traits>

namespace spool::testing {

// Runs `body` in a forked child and returns the child's exit code, 128 + the signal that
// ended it, or -1 if fork/wait failed. A body returning int gives the exit code; a void body
// exits 0 when it returns. To crash with a log open, the body calls ::_exit itself while
// the log is in scope (a returning body destroys its locals, closing the log cleanly).
template <typename Body>
int run_in_child(Body body) {
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    if constexpr (std::is_void_v<std::invoke_result_t<Body>>) {
      body();
      ::_exit(0);
    } else {
      ::_exit(body());
    }
  }
  int status = 0;
  if (::waitpid(pid, &status, 0) != pid) return -1;
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}

}  // namespace spool::testing

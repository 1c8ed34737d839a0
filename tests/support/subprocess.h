// Running a program as a child process with pipes on stdin, stdout and stderr: whole runs
// (feed input, collect everything) and streaming runs (write and read as it goes, kill it).
//
// Output is drained whenever the parent waits on the child, so a child that writes a lot
// while reading its input never deadlocks against a full pipe. Waits have a generous safety
// limit (scaled with the build, see time_scale.h) after which the child is killed, so a hung
// child fails the test instead of hanging it; they are not timing checks. The child is also
// killed when the test process dies (see child_process.h), so it never outlives the test.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace spool::testing {

struct ProcessResult {
  int exit_code = -1;  // exit status when the child exited, else -1
  int signal = 0;      // the signal that ended the child, else 0
  std::string out;
  std::string err;
};

// Runs argv (argv[0] is a path) with `input` on stdin (then closed) and waits for it, at most
// scaled(limit) (then the child is killed: signal is SIGKILL).
ProcessResult run_process(const std::vector<std::string>& argv, std::string_view input = {},
                          std::chrono::milliseconds limit = std::chrono::milliseconds(120'000));

class ChildProcess {
 public:
  // Every limit below is scaled with the build (scaled() in time_scale.h) before use.
  static constexpr int kSafetyTimeoutMs = 120'000;

  explicit ChildProcess(const std::vector<std::string>& argv);
  ~ChildProcess();  // kills (SIGKILL) and reaps a child still running
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  bool started() const noexcept { return pid_ > 0; }
  pid_t pid() const noexcept { return pid_; }

  // Writes all of `bytes` to the child's stdin, draining its output meanwhile. False if the
  // child stopped reading (closed stdin or died) or the safety limit passed.
  bool write_stdin(std::string_view bytes);
  void close_stdin();

  // Next line of stdout without its '\n'; nullopt at end of output or after timeout_ms.
  std::optional<std::string> read_line(int timeout_ms = kSafetyTimeoutMs);

  void kill(int signal);

  // Closes stdin, collects the rest of the output until the child closes it, and reaps the
  // child. A child still running after `limit` is killed (signal SIGKILL in the result).
  // `out` holds the stdout not yet returned by read_line.
  ProcessResult wait(std::chrono::milliseconds limit = std::chrono::milliseconds(kSafetyTimeoutMs));

 private:
  // Waits up to timeout_ms for output (or for stdin to take bytes when want_stdin) and reads
  // what is there. Returns false when nothing can happen any more or on timeout.
  bool pump(int timeout_ms, bool want_stdin);

  pid_t pid_ = -1;
  int in_ = -1;
  int out_ = -1;
  int err_ = -1;
  std::string out_buf_;
  std::string err_buf_;
  bool reaped_ = false;
};

}  // namespace spool::testing

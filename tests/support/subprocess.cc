#include "support/subprocess.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>

#include "support/child_process.h"
#include "support/time_scale.h"

namespace spool::testing {

namespace {

void close_fd(int* fd) {
  if (*fd >= 0) ::close(*fd);
  *fd = -1;
}

// Appends what is readable on *fd to *buf; closes *fd at end of file.
void drain(int* fd, std::string* buf) {
  char chunk[65536];
  for (;;) {
    const ssize_t n = ::read(*fd, chunk, sizeof chunk);
    if (n > 0) {
      buf->append(chunk, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    close_fd(fd);  // EOF, or an error that ends the stream all the same
    return;
  }
}

}  // namespace

ChildProcess::ChildProcess(const std::vector<std::string>& argv) {
  // Writing to a child that died must fail with EPIPE, not kill the test.
  ::signal(SIGPIPE, SIG_IGN);
  int in[2], out[2], err[2];
  if (::pipe2(in, O_CLOEXEC) != 0) return;
  if (::pipe2(out, O_CLOEXEC) != 0) return;
  if (::pipe2(err, O_CLOEXEC) != 0) return;
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::fflush(nullptr);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid == 0) {
    die_with_parent(parent);  // kept across exec: the program dies with the test
    // dup2 clears close-on-exec on the copies; everything else closes at exec.
    if (::dup2(in[0], 0) < 0 || ::dup2(out[1], 1) < 0 || ::dup2(err[1], 2) < 0) ::_exit(127);
    ::signal(SIGPIPE, SIG_DFL);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  in_ = in[1];
  out_ = out[0];
  err_ = err[0];
  if (pid < 0) {
    close_fd(&in_);
    close_fd(&out_);
    close_fd(&err_);
    return;
  }
  pid_ = pid;
  ::fcntl(in_, F_SETFL, ::fcntl(in_, F_GETFL) | O_NONBLOCK);
  ::fcntl(out_, F_SETFL, ::fcntl(out_, F_GETFL) | O_NONBLOCK);
  ::fcntl(err_, F_SETFL, ::fcntl(err_, F_GETFL) | O_NONBLOCK);
}

ChildProcess::~ChildProcess() {
  if (!reaped_) kill_and_reap(pid_);
  close_fd(&in_);
  close_fd(&out_);
  close_fd(&err_);
}

bool ChildProcess::pump(int timeout_ms, bool want_stdin) {
  pollfd fds[3];
  nfds_t n = 0;
  int out_index = -1, err_index = -1, in_index = -1;
  if (out_ >= 0) fds[out_index = static_cast<int>(n++)] = pollfd{out_, POLLIN, 0};
  if (err_ >= 0) fds[err_index = static_cast<int>(n++)] = pollfd{err_, POLLIN, 0};
  if (want_stdin && in_ >= 0) fds[in_index = static_cast<int>(n++)] = pollfd{in_, POLLOUT, 0};
  if (n == 0) return false;
  int rc;
  do {
    rc = ::poll(fds, n, timeout_ms);
  } while (rc < 0 && errno == EINTR);
  if (rc <= 0) return false;
  if (out_index >= 0 && fds[out_index].revents != 0) drain(&out_, &out_buf_);
  if (err_index >= 0 && fds[err_index].revents != 0) drain(&err_, &err_buf_);
  return true;
}

bool ChildProcess::write_stdin(std::string_view bytes) {
  const auto deadline =
      std::chrono::steady_clock::now() + scaled(std::chrono::milliseconds(kSafetyTimeoutMs));
  while (!bytes.empty()) {
    if (in_ < 0) return false;
    const ssize_t n = ::write(in_, bytes.data(), bytes.size());
    if (n > 0) {
      bytes.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN) return false;  // EPIPE: the child is gone
    if (std::chrono::steady_clock::now() > deadline) return false;
    pump(1000, /*want_stdin=*/true);
  }
  return true;
}

void ChildProcess::close_stdin() { close_fd(&in_); }

std::optional<std::string> ChildProcess::read_line(int timeout_ms) {
  const auto deadline =
      std::chrono::steady_clock::now() + scaled(std::chrono::milliseconds(timeout_ms));
  for (;;) {
    const auto nl = out_buf_.find('\n');
    if (nl != std::string::npos) {
      std::string line = out_buf_.substr(0, nl);
      out_buf_.erase(0, nl + 1);
      return line;
    }
    if (out_ < 0) return std::nullopt;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    pump(static_cast<int>(left.count()), /*want_stdin=*/false);
  }
}

void ChildProcess::kill(int signal) {
  if (pid_ > 0 && !reaped_) ::kill(pid_, signal);
}

ProcessResult ChildProcess::wait(std::chrono::milliseconds limit) {
  ProcessResult r;
  close_stdin();
  const auto deadline = std::chrono::steady_clock::now() + scaled(limit);
  auto left_ms = [&] {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    return static_cast<int>(std::clamp<std::int64_t>(left.count(), 0, 1000));
  };
  while ((out_ >= 0 || err_ >= 0) && left_ms() > 0) pump(left_ms(), /*want_stdin=*/false);
  if (pid_ > 0 && !reaped_) {
    // The child may close its output and still run: wait for its end up to the same limit.
    int status = 0;
    pid_t done = 0;
    for (;;) {
      done = ::waitpid(pid_, &status, WNOHANG);
      if (done < 0 && errno == EINTR) continue;
      if (done != 0 || left_ms() == 0) break;
      ::poll(nullptr, 0, std::min(left_ms(), 5));
    }
    if (done == 0) {  // hung: fail rather than hang
      ::kill(pid_, SIGKILL);
      while ((done = ::waitpid(pid_, &status, 0)) < 0 && errno == EINTR) {
      }
    }
    reaped_ = true;
    if (done == pid_ && WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
    if (done == pid_ && WIFSIGNALED(status)) r.signal = WTERMSIG(status);
    if (out_ >= 0 || err_ >= 0) pump(0, /*want_stdin=*/false);  // what it wrote before the kill
  }
  r.out = std::move(out_buf_);
  r.err = std::move(err_buf_);
  out_buf_.clear();
  err_buf_.clear();
  return r;
}

ProcessResult run_process(const std::vector<std::string>& argv, std::string_view input,
                          std::chrono::milliseconds limit) {
  ChildProcess child(argv);
  if (!child.started()) return ProcessResult{};
  child.write_stdin(input);
  return child.wait(limit);
}

}  // namespace spool::testing

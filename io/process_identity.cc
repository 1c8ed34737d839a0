#include "io/process_identity.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace spool::io {

namespace {

// What /proc/<pid>/stat says of a process: its state letter (field 3) and start time (field 22).
struct ProcStat {
  char state = '\0';
  std::uint64_t start_ticks = 0;  // 0: no such process, or /proc unreadable
};

// Allocates nothing (the writer thread checks its producers every 100 ms; a child forked
// beside it must not find an allocator lock held, which a sanitizer's allocator cannot
// prevent).
ProcStat read_proc_stat(pid_t pid) {
  ProcStat stat;
  if (pid <= 0) return stat;
  char path[48];
  std::snprintf(path, sizeof path, "/proc/%d/stat", static_cast<int>(pid));
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return stat;
  char buf[1024];
  ssize_t n;
  do {
    n = ::pread(fd, buf, sizeof buf - 1, 0);
  } while (n < 0 && errno == EINTR);
  ::close(fd);
  if (n <= 0) return stat;
  buf[n] = '\0';
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so fields are counted
  // from the last ')'. After it come fields 3, 4, ...; the start time is field 22.
  const char* close_paren = std::strrchr(buf, ')');
  if (close_paren == nullptr) return stat;
  const char* at = close_paren + 1;
  for (int field = 3; field <= 22; ++field) {
    while (*at == ' ') ++at;
    if (*at == '\0') return ProcStat{};
    if (field == 3) stat.state = *at;
    if (field == 22) {
      stat.start_ticks = std::strtoull(at, nullptr, 10);
      return stat;
    }
    while (*at != ' ' && *at != '\0') ++at;
  }
  return ProcStat{};
}

}  // namespace

std::uint64_t process_start_ticks(pid_t pid) { return read_proc_stat(pid).start_ticks; }

std::uint64_t own_start_ticks() { return process_start_ticks(::getpid()); }

pid_t current_tid() noexcept { return static_cast<pid_t>(::syscall(SYS_gettid)); }

bool process_alive(pid_t pid, std::uint64_t start_ticks) {
  if (pid <= 0) return false;
  if (::kill(pid, 0) != 0 && errno == ESRCH) return false;
  const ProcStat now = read_proc_stat(pid);
  // 0: the process ended between the two looks (or /proc is unreadable: then trust kill).
  if (now.start_ticks == 0) return ::kill(pid, 0) == 0 || errno != ESRCH;
  // A zombie has ended: it runs no code and holds no memory of its own, only its exit status
  // waits for a parent that has not reaped it yet (kill(pid, 0) still succeeds on it).
  if (now.state == 'Z' || now.state == 'X' || now.state == 'x') return false;
  return now.start_ticks == start_ticks;
}

}  // namespace spool::io

#include "io/process_identity.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "io/file.h"

namespace spool::io {

namespace {

// What /proc/<pid>/stat says of a process: its state letter (field 3) and start time (field 22).
struct ProcStat {
  char state = '\0';
  std::uint64_t start_ticks = 0;  // 0: no such process, or /proc unreadable
};

ProcStat read_proc_stat(pid_t pid) {
  ProcStat stat;
  if (pid <= 0) return stat;
  File f;
  if (File::open("/proc/" + std::to_string(pid) + "/stat", O_RDONLY, 0, &f) < 0) return stat;
  char buf[1024];
  const ssize_t n = f.pread_full(buf, sizeof buf - 1, 0);
  if (n <= 0) return stat;
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so fields are counted
  // from the last ')'. After it come fields 3, 4, ...; the start time is field 22.
  const std::string text(buf, static_cast<std::size_t>(n));
  const std::size_t close = text.rfind(')');
  if (close == std::string::npos) return stat;
  std::size_t at = close + 1;
  for (int field = 3; field <= 22; ++field) {
    while (at < text.size() && text[at] == ' ') ++at;
    if (at >= text.size()) return ProcStat{};
    const std::size_t end = text.find(' ', at);
    if (field == 3) stat.state = text[at];
    if (field == 22) {
      stat.start_ticks = std::strtoull(text.c_str() + at, nullptr, 10);
      return stat;
    }
    if (end == std::string::npos) return ProcStat{};
    at = end;
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

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

std::uint64_t process_start_ticks(pid_t pid) {
  if (pid <= 0) return 0;
  File f;
  if (File::open("/proc/" + std::to_string(pid) + "/stat", O_RDONLY, 0, &f) < 0) return 0;
  char buf[1024];
  const ssize_t n = f.pread_full(buf, sizeof buf - 1, 0);
  if (n <= 0) return 0;
  buf[n] = '\0';
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so fields are counted
  // from the last ')'. After it come fields 3, 4, ...; the start time is field 22.
  std::string text(buf, static_cast<std::size_t>(n));
  const std::size_t close = text.rfind(')');
  if (close == std::string::npos) return 0;
  std::size_t at = close + 1;
  for (int field = 3; field <= 22; ++field) {
    while (at < text.size() && text[at] == ' ') ++at;
    const std::size_t end = text.find(' ', at);
    if (field == 22) {
      return std::strtoull(text.substr(at, end == std::string::npos ? std::string::npos : end - at).c_str(),
                           nullptr, 10);
    }
    if (end == std::string::npos) return 0;
    at = end;
  }
  return 0;
}

std::uint64_t own_start_ticks() { return process_start_ticks(::getpid()); }

pid_t current_tid() noexcept { return static_cast<pid_t>(::syscall(SYS_gettid)); }

bool process_alive(pid_t pid, std::uint64_t start_ticks) {
  if (pid <= 0) return false;
  if (::kill(pid, 0) != 0 && errno == ESRCH) return false;
  const std::uint64_t now = process_start_ticks(pid);
  // 0: the process ended between the two looks (or /proc is unreadable: then trust kill).
  if (now == 0) return ::kill(pid, 0) == 0 || errno != ESRCH;
  return now == start_ticks;
}

}  // namespace spool::io

#include "io/process_start_time.h"

#include <errno.h>
#include <fcntl.h>

#include <cstdlib>
#include <string>
#include <string_view>

#include "io/file.h"

namespace spool::io {

int process_start_time(pid_t pid, std::uint64_t* ticks) {
  if (pid <= 0) return -EINVAL;
  File f;
  int rc = File::open("/proc/" + std::to_string(pid) + "/stat", O_RDONLY, 0, &f);
  if (rc < 0) return rc;
  // One line well under 1 KiB; /proc files report size 0, so read a fixed amount.
  char buf[1024];
  const ssize_t n = f.pread_full(buf, sizeof(buf) - 1, 0);
  if (n < 0) return static_cast<int>(n);
  const std::string_view line(buf, static_cast<std::size_t>(n));
  // Field 2 (comm) is in parentheses and may hold spaces and ')': fields resume after the
  // last ')'. Field 3 follows it, so field 22 is the 20th after it.
  const auto close = line.rfind(')');
  if (close == std::string_view::npos) return -EINVAL;
  std::size_t pos = close + 1;
  for (int field = 3; field < 22; ++field) {
    pos = line.find(' ', pos + 1);
    if (pos == std::string_view::npos) return -EINVAL;
  }
  const std::string rest(line.substr(pos + 1, 24));
  char* end = nullptr;
  const unsigned long long value = std::strtoull(rest.c_str(), &end, 10);
  if (end == rest.c_str()) return -EINVAL;
  *ticks = value;
  return 0;
}

bool process_alive(pid_t pid, std::uint64_t start_ticks) {
  std::uint64_t ticks = 0;
  return process_start_time(pid, &ticks) == 0 && ticks == start_ticks;
}

}  // namespace spool::io

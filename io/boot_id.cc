#include "io/boot_id.h"

#include <fcntl.h>

#include "io/file.h"

namespace spool::io {

std::string boot_id() {
  // procfs reports a size of 0, so read up to a bound instead of by size.
  File f;
  if (File::open("/proc/sys/kernel/random/boot_id", O_RDONLY, 0, &f) < 0) return {};
  char buf[64];
  const ssize_t n = f.pread_full(buf, sizeof buf, 0);
  if (n <= 0) return {};
  std::string id(buf, static_cast<std::size_t>(n));
  while (!id.empty() && (id.back() == '\n' || id.back() == ' ')) id.pop_back();
  return id;
}

}  // namespace spool::io

#include "tools/disk_usage.h"

#include <sys/stat.h>

#include <filesystem>
#include <system_error>

namespace spool::tools {

Result<DiskUsage> disk_usage(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  DiskUsage usage;
  fs::recursive_directory_iterator it(dir, ec);
  if (ec) return Status::io_error("cannot list " + dir + ": " + ec.message());
  for (const fs::recursive_directory_iterator end; it != end; it.increment(ec)) {
    if (ec) return Status::io_error("cannot list " + dir + ": " + ec.message());
    struct stat st;
    if (::lstat(it->path().c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    usage.allocated_bytes += static_cast<std::uint64_t>(st.st_blocks) * 512;
    usage.file_bytes += static_cast<std::uint64_t>(st.st_size);
    ++usage.files;
  }
  if (ec) return Status::io_error("cannot list " + dir + ": " + ec.message());
  return usage;
}

}  // namespace spool::tools

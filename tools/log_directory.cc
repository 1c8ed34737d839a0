#include "tools/log_directory.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "segment/log_checkpoint.h"
#include "segment/segment_directory.h"
#include "segment/segment_header.h"

namespace spool::tools {

namespace {

std::string parent_of(const std::string& dir) {
  std::string p = dir;
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  const auto slash = p.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return p.substr(0, slash);
}

}  // namespace

Status require_existing_log(const std::string& dir) {
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) {
      return Status::not_found("log directory " + dir + " does not exist");
    }
    return Status::io_error("cannot access log directory " + dir + ": " + ::strerror(errno));
  }
  if (!S_ISDIR(st.st_mode)) return Status::invalid_argument(dir + " is not a directory");
  auto listing = segment::list_log_directory(dir);
  if (!listing) return listing.status();
  if (!listing->segments.empty()) return Status::ok();
  const std::string checkpoint = dir + "/" + segment::LogCheckpoint::kFileName;
  if (::stat(checkpoint.c_str(), &st) == 0) return Status::ok();
  return Status::invalid_argument(dir + " is not a spool log (no segment files, no checkpoint)");
}

Status require_creatable_log_dir(const std::string& dir) {
  struct stat st;
  if (::stat(dir.c_str(), &st) == 0) {
    return S_ISDIR(st.st_mode) ? Status::ok()
                               : Status::invalid_argument(dir + " is not a directory");
  }
  const std::string parent = parent_of(dir);
  if (::stat(parent.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return Status::not_found("cannot create log directory " + dir + ": parent directory " + parent +
                             " does not exist");
  }
  return Status::ok();
}

}  // namespace spool::tools

#include "tools/log_directory.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "segment/log_marker.h"
#include "segment/segment_directory.h"

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
  auto state = segment::inspect_log_directory(dir);
  if (!state) return state.status();
  switch (state->kind) {
    case segment::LogDirectoryKind::kMissing:
      return Status::not_found("log directory " + dir + " does not exist");
    case segment::LogDirectoryKind::kEmpty:
      return Status::invalid_argument(dir + " is not a spool log (an empty directory)");
    case segment::LogDirectoryKind::kMarked:
    case segment::LogDirectoryKind::kPreMarker:
      break;
  }
  return Status::ok();
}

Status require_creatable_log_dir(const std::string& dir) {
  auto state = segment::inspect_log_directory(dir);
  if (!state) return state.status();
  if (state->kind != segment::LogDirectoryKind::kMissing) return Status::ok();
  const std::string parent = parent_of(dir);
  struct stat st;
  if (::stat(parent.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return Status::not_found("cannot create log directory " + dir + ": parent directory " + parent +
                             " does not exist");
  }
  return Status::ok();
}

Result<LogOptions> existing_log_options(const std::string& dir) {
  auto marker = segment::LogMarker::read(dir);
  if (!marker) return marker.status();
  LogOptions options;
  if (marker->has_value()) {
    (*marker)->apply_to(&options);
  } else if (auto existing = segment::existing_segment_bytes(dir)) {
    options.segment_bytes = *existing;
  }
  return options;
}

}  // namespace spool::tools

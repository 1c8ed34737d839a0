#include "segment/segment_directory.h"

#include <errno.h>
#include <sys/stat.h>

#include <algorithm>
#include <memory>

#include "io/env.h"
#include "segment/segment_file.h"
#include "segment/segment_header.h"

namespace spool::segment {

namespace {
std::optional<std::uint64_t> parse_index_file_name(std::string_view name) {
  if (!name.ends_with(kIndexSuffix)) return std::nullopt;
  std::string as_segment(name.substr(0, name.size() - kIndexSuffix.size()));
  as_segment += kSegmentSuffix;
  return parse_segment_file_name(as_segment);
}
}  // namespace

Result<DirectoryListing> list_log_directory(const std::string& dir) {
  std::vector<io::DirEntry> entries;
  const int rc = io::env().list_directory(dir, &entries);
  if (rc < 0) return errno_status(rc, "list log directory " + dir);
  DirectoryListing out;
  for (const io::DirEntry& e : entries) {
    const std::string_view name(e.name);
    if (!e.regular_file) continue;  // a directory named like a segment is not one
    if (auto base = parse_segment_file_name(name)) {
      out.segments.push_back(*base);
    } else if (auto ibase = parse_index_file_name(name)) {
      out.indexes.push_back(*ibase);
    } else if (name.ends_with(kDeletedSuffix) || name.ends_with(".tmp")) {
      out.leftovers.emplace_back(name);
    }
  }
  std::sort(out.segments.begin(), out.segments.end());
  std::sort(out.indexes.begin(), out.indexes.end());
  std::sort(out.leftovers.begin(), out.leftovers.end());
  return out;
}

std::optional<std::uint64_t> existing_segment_bytes(const std::string& dir) {
  auto listing = list_log_directory(dir);
  if (!listing) return std::nullopt;
  // The active segment is preallocated to the segment size and sealed ones are trimmed
  // below it, so the largest file is the best witness (even when a crash cut the active one).
  std::uint64_t largest = 0;
  for (std::uint64_t base : listing->segments) {
    const std::string path = dir + "/" + segment_file_name(base);
    struct stat st;
    if (io::env().stat(path, &st) == 0 && static_cast<std::uint64_t>(st.st_size) > largest) {
      largest = static_cast<std::uint64_t>(st.st_size);
    }
  }
  // SegmentLog accepts 128 bytes .. 4 GiB - 8; anything else was not preallocated by a
  // writer and says nothing about the segment size.
  if (largest < 128 || largest > (1ull << 32) - 8) return std::nullopt;
  return largest;
}

}  // namespace spool::segment

#include "segment/segment_directory.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>

#include "io/env.h"
#include "io/errno_status.h"
#include "io/file.h"
#include "segment/log_checkpoint.h"
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

// Names of files spool writes through io::write_file_atomically in the log directory itself.
constexpr std::array<std::string_view, 4> kAtomicFileNames = {"checkpoint", "SPOOL_LOG", "zstd.dict",
                                                              "zstd.dict.trained"};

bool is_spool_leftover(std::string_view name) {
  if (name.ends_with(kDeletedSuffix)) {
    const std::string_view retired = name.substr(0, name.size() - kDeletedSuffix.size());
    return parse_segment_file_name(retired).has_value() || parse_index_file_name(retired).has_value();
  }
  for (std::string_view file : kAtomicFileNames) {
    if (name == io::atomic_temp_name(std::string(file))) return true;
  }
  constexpr std::string_view kTmp = ".tmp";
  return name.ends_with(kTmp) && parse_index_file_name(name.substr(0, name.size() - kTmp.size())).has_value();
}

// True when `name` in `dir` is a checkpoint whose checksum holds.
bool holds_valid_checkpoint(const std::string& dir) {
  std::string bytes;
  if (io::read_small_file(dir + "/" + LogCheckpoint::kFileName, &bytes, 4096) < 0) return false;
  return LogCheckpoint::decode(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()).has_value();
}

// True when <dir>/<base>.seg starts with a valid spool segment header for `base`.
bool holds_valid_segment(const std::string& dir, std::uint64_t base) {
  io::File f;
  if (io::File::open(dir + "/" + segment_file_name(base), O_RDONLY | O_NOFOLLOW, 0, &f) < 0) return false;
  std::array<std::uint8_t, kSegmentHeaderBytes> bytes{};
  if (f.pread_full(bytes.data(), bytes.size(), 0) != static_cast<ssize_t>(bytes.size())) return false;
  SegmentHeader header;
  return decode_segment_header(bytes.data(), bytes.size(), &header) == HeaderCheck::kValid &&
         header.base_offset == base;
}

}  // namespace

Result<DirectoryListing> list_log_directory(const std::string& dir) {
  std::vector<io::DirEntry> entries;
  if (const int rc = io::env().list_directory(dir, &entries); rc < 0) {
    return io::errno_status(rc, "list log directory " + dir);
  }
  DirectoryListing out;
  for (const io::DirEntry& e : entries) {
    if (!e.regular_file) continue;  // a directory named like a segment is not one
    if (auto base = parse_segment_file_name(e.name)) {
      out.segments.push_back(*base);
    } else if (auto ibase = parse_index_file_name(e.name)) {
      out.indexes.push_back(*ibase);
    } else if (is_spool_leftover(e.name)) {
      out.leftovers.push_back(e.name);
    }
  }
  std::sort(out.segments.begin(), out.segments.end());
  std::sort(out.indexes.begin(), out.indexes.end());
  std::sort(out.leftovers.begin(), out.leftovers.end());
  return out;
}

Result<LogDirectoryState> inspect_log_directory(const std::string& dir) {
  struct stat st;
  int rc = io::env().stat(dir, &st);
  if (rc == -ENOENT) return LogDirectoryState{LogDirectoryKind::kMissing, std::nullopt};
  if (rc < 0) return io::errno_status(rc, "access log directory " + dir);
  if (!S_ISDIR(st.st_mode)) return Status::invalid_argument(dir + " is not a directory");
  auto marker = LogMarker::read(dir);
  if (!marker) return marker.status();
  if (marker->has_value()) return LogDirectoryState{LogDirectoryKind::kMarked, *marker};
  std::vector<io::DirEntry> entries;
  if ((rc = io::env().list_directory(dir, &entries)) < 0) return io::errno_status(rc, "list log directory " + dir);
  // Only names a log being created makes before its marker (the lock, a marker half
  // written, rings of producers that attached at once): a log on its way, empty yet.
  const bool being_made = std::all_of(entries.begin(), entries.end(), [](const io::DirEntry& e) {
    return e.name == "LOCK" || e.name == "rings" || e.name == "LOG_STATE" ||
           e.name == io::atomic_temp_name(LogMarker::kFileName);
  });
  if (entries.empty() || being_made) return LogDirectoryState{LogDirectoryKind::kEmpty, std::nullopt};
  bool proven = holds_valid_checkpoint(dir);
  for (const io::DirEntry& e : entries) {
    if (proven) break;
    const auto base = e.regular_file ? parse_segment_file_name(e.name) : std::nullopt;
    if (base) proven = holds_valid_segment(dir, *base);
  }
  if (proven) return LogDirectoryState{LogDirectoryKind::kPreMarker, std::nullopt};
  return Status::invalid_argument(dir + " is not a spool log: it holds files but no " +
                                  std::string(LogMarker::kFileName) +
                                  " marker, valid checkpoint or segment (a new log needs an empty directory; "
                                  "nothing in it was changed)");
}

Status check_directory_trusted(const std::string& dir, mode_t dir_mode) {
  struct stat st;
  const int rc = io::env().stat(dir, &st);
  if (rc < 0) return io::errno_status(rc, "access log directory " + dir);
  if (st.st_uid != ::geteuid()) {
    return Status::permission_denied("log directory " + dir + " is owned by uid " + std::to_string(st.st_uid) +
                                     ", not by this process's uid " + std::to_string(::geteuid()) +
                                     ": refusing to write a log into a directory another user controls");
  }
  const mode_t unwanted = st.st_mode & 0022 & ~dir_mode;
  if (unwanted != 0) {
    char have[16], want[16];
    std::snprintf(have, sizeof have, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    std::snprintf(want, sizeof want, "%04o", static_cast<unsigned>(dir_mode));
    return Status::permission_denied("log directory " + dir + " has mode " + have + ": writable by " +
                                     ((unwanted & 0020) && (unwanted & 0002) ? "group and others"
                                      : (unwanted & 0020)                   ? "group"
                                                                            : "others") +
                                     ", which dir_mode " + want + " does not allow (chmod go-w it)");
  }
  return Status::ok();
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

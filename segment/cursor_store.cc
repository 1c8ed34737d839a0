#include "segment/cursor_store.h"

#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>
#include <xxhash.h>

#include <algorithm>
#include <cstring>
#include <memory>

#include "io/clock.h"
#include "io/env.h"
#include "io/errno_status.h"
#include "io/file.h"
#include "io/little_endian.h"
#include "segment/frame_format.h"
#include "segment/log_marker.h"
#include "segment/segment_file.h"
#include "segment/segment_header.h"

namespace spool::segment {

namespace {

constexpr char kMagic[8] = {'S', 'P', 'O', 'O', 'L', 'C', 'U', 'R'};
constexpr std::uint32_t kVersion = 1;
constexpr std::size_t kHeaderBytes = 40;
constexpr std::string_view kTempSuffix = ".cursor.tmp";

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

}  // namespace

Status CursorStore::validate_name(std::string_view name) {
  if (name.empty()) return Status::invalid_argument("cursor name is empty");
  if (name.size() > kMaxNameBytes) {
    return Status::invalid_argument("cursor name is " + std::to_string(name.size()) +
                                    " bytes; at most " + std::to_string(kMaxNameBytes) + " allowed");
  }
  if (name.front() == '.') {
    return Status::invalid_argument("cursor name '" + std::string(name) + "' starts with '.'");
  }
  for (char c : name) {
    if (!is_name_char(c)) {
      return Status::invalid_argument("cursor name '" + std::string(name) +
                                      "' has a character outside [A-Za-z0-9._-]");
    }
  }
  return Status::ok();
}

std::string CursorStore::encode(const CursorRecord& r) {
  const std::size_t n = r.name.size(), m = r.state.size();
  std::string out(kFixedBytes + n + m, '\0');
  auto* p = reinterpret_cast<std::uint8_t*>(out.data());
  std::memcpy(p, kMagic, 8);
  io::store_u32(p + 8, kVersion);
  io::store_u16(p + 12, static_cast<std::uint16_t>(n));
  io::store_u32(p + 16, static_cast<std::uint32_t>(m));
  io::store_u64(p + 24, r.next_offset);
  io::store_u64(p + 32, static_cast<std::uint64_t>(r.updated_ns));
  std::memcpy(p + kHeaderBytes, r.name.data(), n);
  if (m != 0) std::memcpy(p + kHeaderBytes + n, r.state.data(), m);
  io::store_u64(p + kHeaderBytes + n + m, XXH3_64bits(p, kHeaderBytes + n + m));
  return out;
}

Result<CursorRecord> CursorStore::decode(std::string_view bytes) {
  const auto* p = reinterpret_cast<const std::uint8_t*>(bytes.data());
  const std::size_t size = bytes.size();
  if (size < kFixedBytes) {
    return Status::corruption("truncated: " + std::to_string(size) + " bytes, a cursor file has at least " +
                              std::to_string(kFixedBytes));
  }
  if (std::memcmp(p, kMagic, 8) != 0) return Status::corruption("bad magic (not a cursor file)");
  const std::size_t n = io::load_u16(p + 12);
  const std::size_t m = io::load_u32(p + 16);
  if (n == 0 || n > kMaxNameBytes) return Status::corruption("name length " + std::to_string(n) + " out of range");
  if (m > kMaxStateBytes) return Status::corruption("state length " + std::to_string(m) + " out of range");
  if (size != kFixedBytes + n + m) {
    return Status::corruption("size " + std::to_string(size) + " does not match the lengths in the header (" +
                              std::to_string(kFixedBytes + n + m) + ")");
  }
  if (XXH3_64bits(p, kHeaderBytes + n + m) != io::load_u64(p + kHeaderBytes + n + m)) {
    return Status::corruption("checksum mismatch");
  }
  // Checked after the checksum: a valid checksum over an unknown version is a newer writer.
  const std::uint32_t version = io::load_u32(p + 8);
  if (version != kVersion) return Status::corruption("unsupported version " + std::to_string(version));
  if (io::load_u16(p + 14) != 0 || io::load_u32(p + 20) != 0) return Status::corruption("reserved bytes are not zero");
  CursorRecord r;
  r.next_offset = io::load_u64(p + 24);
  r.updated_ns = static_cast<std::int64_t>(io::load_u64(p + 32));
  r.name.assign(bytes.substr(kHeaderBytes, n));
  r.state.assign(bytes.substr(kHeaderBytes + n, m));
  if (r.next_offset > kOffsetLimit) return Status::corruption("next_offset beyond the offset space");
  if (!validate_name(r.name).is_ok()) return Status::corruption("stored name is not a valid cursor name");
  return r;
}

Result<CursorStore> CursorStore::open(const std::string& log_dir) {
  CursorStore store = at(log_dir);
  // The log's modes, as its marker records them (private without a marker).
  auto options = log_options_from_marker(log_dir);
  if (!options) return options.status();
  store.file_mode_ = options->file_mode;
  int rc = io::make_directory(log_dir, options->dir_mode);
  if (rc < 0) return io::errno_status(rc, "create log directory " + log_dir);
  rc = io::make_directory(store.dir_, options->dir_mode);
  if (rc < 0) return io::errno_status(rc, "create cursor directory " + store.dir_);
  store.remove_stale_temp_files();
  return store;
}

CursorStore CursorStore::at(const std::string& log_dir) {
  return CursorStore(log_dir + "/" + std::string(kDirName));
}

std::string CursorStore::path_of(std::string_view name) const {
  return dir_ + "/" + std::string(name) + std::string(kSuffix);
}

void CursorStore::remove_stale_temp_files() const {
  std::vector<io::DirEntry> entries;
  if (io::env().list_directory(dir_, &entries) < 0) return;  // best effort: leftovers are harmless
  const std::int64_t now = io::wall_clock_ns();
  for (const io::DirEntry& e : entries) {
    const std::string_view name(e.name);
    if (!name.ends_with(kTempSuffix) || !e.regular_file) continue;
    const std::string path = dir_ + "/" + std::string(name);
    struct stat st;
    if (io::env().lstat(path, &st) != 0 || !S_ISREG(st.st_mode)) continue;
    const std::int64_t mtime = std::int64_t{st.st_mtim.tv_sec} * 1'000'000'000 + st.st_mtim.tv_nsec;
    if (now - mtime > kStaleTempAgeNs) io::remove_path(path);
  }
}

Result<std::optional<CursorRecord>> CursorStore::load(std::string_view name) const {
  SPOOL_RETURN_IF_ERROR(validate_name(name));
  const std::string path = path_of(name);
  std::string bytes;
  const int rc = io::read_small_file(path, &bytes, kMaxFileBytes);
  if (rc == -ENOENT) return std::optional<CursorRecord>();
  if (rc == -EFBIG) {
    return Status::corruption("cursor file " + path + " is larger than any cursor file can be");
  }
  if (rc < 0) return io::errno_status(rc, "read cursor file " + path);
  auto decoded = decode(bytes);
  if (!decoded) return Status::corruption("cursor file " + path + ": " + decoded.status().message());
  if (decoded->name != name) {
    return Status::corruption("cursor file " + path + ": holds cursor '" + decoded->name + "'");
  }
  return std::optional<CursorRecord>(std::move(decoded).value());
}

Result<std::vector<CursorRecord>> CursorStore::list() const {
  std::vector<std::string> names;
  {
    std::vector<io::DirEntry> entries;
    const int rc = io::env().list_directory(dir_, &entries);
    if (rc == -ENOENT) return std::vector<CursorRecord>();
    if (rc < 0) return io::errno_status(rc, "list cursor directory " + dir_);
    for (const io::DirEntry& e : entries) {
      const std::string_view file(e.name);
      if (!file.ends_with(kSuffix)) continue;
      if (!e.regular_file) continue;  // a directory (or link) named like a cursor is not one
      const std::string_view name = file.substr(0, file.size() - kSuffix.size());
      if (validate_name(name).is_ok()) names.emplace_back(name);
    }
  }
  std::sort(names.begin(), names.end());
  std::vector<CursorRecord> out;
  out.reserve(names.size());
  for (const std::string& name : names) {
    auto r = load(name);
    if (!r) return r.status();
    if (r->has_value()) out.push_back(std::move(**r));  // removed meanwhile: skip it
  }
  return out;
}

Status CursorStore::commit(const CursorRecord& record) {
  SPOOL_RETURN_IF_ERROR(validate_name(record.name));
  if (record.state.size() > kMaxStateBytes) {
    return Status::invalid_argument("cursor '" + record.name + "' state is " +
                                    std::to_string(record.state.size()) + " bytes; at most " +
                                    std::to_string(kMaxStateBytes) + " allowed");
  }
  if (record.next_offset > kOffsetLimit) {
    return Status::invalid_argument("cursor '" + record.name + "' next_offset is beyond the offset space");
  }
  CursorRecord stamped = record;
  if (stamped.updated_ns == 0) stamped.updated_ns = io::wall_clock_ns();
  const std::string bytes = encode(stamped);
  // <name>.cursor written via <name>.cursor.tmp, synced, renamed, directory synced.
  const int rc = io::write_file_atomically(dir_, record.name + std::string(kSuffix), bytes.data(),
                                           bytes.size(), /*durable=*/true, file_mode_);
  if (rc < 0) return io::errno_status(rc, "commit cursor " + path_of(record.name));
  return Status::ok();
}

Status CursorStore::remove(std::string_view name) {
  SPOOL_RETURN_IF_ERROR(validate_name(name));
  const std::string path = path_of(name);
  int rc = io::remove_path(path);
  if (rc == -ENOENT) return Status::not_found("cursor '" + std::string(name) + "' does not exist in " + dir_);
  if (rc < 0) return io::errno_status(rc, "remove cursor " + path);
  if ((rc = io::fsync_directory(dir_)) < 0) return io::errno_status(rc, "fsync directory " + dir_);
  return Status::ok();
}

Result<std::optional<std::uint64_t>> CursorStore::min_next_offset() const {
  auto all = list();
  if (!all) return all.status();
  std::optional<std::uint64_t> floor;
  for (const CursorRecord& r : *all) {
    if (!floor || r.next_offset < *floor) floor = r.next_offset;
  }
  return floor;
}

}  // namespace spool::segment

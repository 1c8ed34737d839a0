#include "io/errno_status.h"
#include "engine/produce/ring_directory.h"

#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fcntl.h>

#include <algorithm>
#include <cstring>
#include <cstdio>
#include <random>

#include "io/env.h"
#include "io/file.h"
#include "io/process_identity.h"
#include "segment/segment_file.h"

namespace spool::engine {

namespace {
constexpr std::size_t kIdDigits = 16;
}  // namespace

std::string RingDirectory::rings_location(const std::string& log_dir, std::uint64_t /*log_id*/) {
  // In the log directory, so a log and its queued records move, back up and get deleted
  // together. Measured against tmpfs (/dev/shm): the same append latencies (bench/README.md).
  return log_dir + "/" + kDirName;
}

Result<RingDirectory> RingDirectory::open(const std::string& log_dir, std::uint64_t log_id, mode_t file_mode,
                                          mode_t dir_mode) {
  RingDirectory dir;
  dir.path_ = rings_location(log_dir, log_id);
  dir.log_id_ = log_id;
  dir.boot_id_ = current_boot_id();
  dir.file_mode_ = file_mode;
  int rc = io::make_directory(dir.path_, dir_mode);
  if (rc < 0) return io::errno_status(rc, "make ring directory " + dir.path_);
  struct stat st {};
  rc = io::env().lstat(dir.path_, &st);
  if (rc < 0) return io::errno_status(rc, "stat " + dir.path_);
  // lstat: a symlink in place of the directory is not a directory.
  SPOOL_RETURN_IF_ERROR(check_trusted(dir.path_, st, dir_mode, /*directory=*/true));
  return dir;
}

std::string RingDirectory::ring_path(std::uint64_t ring_id) const {
  char name[kIdDigits + 1];
  std::snprintf(name, sizeof name, "%016llx", static_cast<unsigned long long>(ring_id));
  return path_ + "/" + name + kSuffix;
}

std::uint64_t RingDirectory::ring_id_of(const std::string& name) noexcept {
  const std::string suffix = kSuffix;
  if (name.size() != kIdDigits + suffix.size() || name.compare(kIdDigits, suffix.size(), suffix) != 0) return 0;
  std::uint64_t id = 0;
  for (std::size_t i = 0; i < kIdDigits; ++i) {
    const char c = name[i];
    int v;
    if (c >= '0' && c <= '9') {
      v = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      v = c - 'a' + 10;
    } else {
      return 0;  // only the lowercase names this code makes
    }
    id = id << 4 | static_cast<std::uint64_t>(v);
  }
  return id;
}

std::uint64_t RingDirectory::new_ring_id() {
  std::random_device rd;
  std::uint64_t id = 0;
  while (id == 0) id = (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
  return id;
}

Result<RingControl> RingDirectory::open_control() const {
  return RingControl::open(path_, ControlIdentity{log_id_, boot_id_, file_mode_});
}

Result<SharedRing> RingDirectory::create_ring(RingIdentity identity, std::uint64_t capacity, RingControl& control) {
  if (!control.try_reserve_ring_bytes(capacity)) {
    return Status::full("ring of " + std::to_string(capacity) + " bytes is over the budget");
  }
  identity.log_id = log_id_;
  identity.boot_id = boot_id_;
  // A random id (unless the caller chose one); one that names an existing file (a clash of
  // 64-bit random numbers) draws another. create() is O_EXCL either way.
  struct stat st {};
  for (int attempt = 0; attempt < 4; ++attempt) {
    if (identity.ring_id != 0 && io::env().lstat(ring_path(identity.ring_id), &st) == -ENOENT) break;
    identity.ring_id = new_ring_id();
  }
  Result<SharedRing> ring = SharedRing::create(ring_path(identity.ring_id), capacity, identity, file_mode_);
  if (!ring.is_ok()) {
    control.release_ring_bytes(capacity);
    return ring.status();
  }
  control.announce_ring();
  return ring;
}

Result<RingListing> RingDirectory::list() const {
  std::vector<io::DirEntry> names;
  const int rc = io::env().list_directory(path_, &names);
  if (rc < 0) return io::errno_status(rc, "list " + path_);
  RingListing listing;
  const RingExpectation base{log_id_, boot_id_, 0, file_mode_};
  for (const io::DirEntry& e : names) {
    const std::uint64_t id = ring_id_of(e.name);
    if (id == 0) {
      if (remove_abandoned_temp(e.name)) ++listing.deleted_abandoned;
      continue;  // CONTROL, temp files, strangers
    }
    const std::string path = path_ + "/" + e.name;
    RingExpectation expect = base;
    expect.ring_id = id;
    Result<SharedRing> ring = SharedRing::open_existing(path, expect);
    if (ring.is_ok()) {
      listing.rings.push_back(std::move(*ring));
      continue;
    }
    if (ring.status().message().find(kOtherBootRefusal) != std::string::npos && io::remove_path(path) == 0) {
      ++listing.deleted_other_boot;
      continue;
    }
    listing.refused.push_back(ring.status().message());
  }
  std::sort(listing.rings.begin(), listing.rings.end(), [](const SharedRing& a, const SharedRing& b) {
    return a.producer_id() != b.producer_id() ? a.producer_id() < b.producer_id() : a.generation() < b.generation();
  });
  return listing;
}

Result<std::vector<std::uint64_t>> RingDirectory::list_ids() const {
  std::vector<io::DirEntry> names;
  const int rc = io::env().list_directory(path_, &names);
  if (rc < 0) return io::errno_status(rc, "list " + path_);
  std::vector<std::uint64_t> ids;
  for (const io::DirEntry& e : names) {
    if (const std::uint64_t id = ring_id_of(e.name); id != 0) {
      ids.push_back(id);
    } else {
      (void)remove_abandoned_temp(e.name);
    }
  }
  return ids;
}

Result<SharedRing> RingDirectory::open_ring(std::uint64_t ring_id) const {
  const std::string path = ring_path(ring_id);
  Result<SharedRing> ring = SharedRing::open_existing(path, RingExpectation{log_id_, boot_id_, ring_id, file_mode_});
  if (ring.is_ok()) return ring;
  if (ring.status().message().find(kOtherBootRefusal) != std::string::npos) {
    // Left by a boot before a machine crash: its contents are not trustworthy.
    (void)io::remove_path(path);
    return Status::not_found("ring " + path + " was made in another boot: deleted");
  }
  if (ring.status().code() == StatusCode::kNotFound) return ring.status();
  struct stat st {};
  if (io::env().lstat(path, &st) == -ENOENT) return Status::not_found("ring " + path + " is gone");
  return ring.status();
}

bool RingDirectory::remove_abandoned_temp(const std::string& name) const {
  const std::string suffix = kRingTempSuffix;
  if (name.size() <= suffix.size() || name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0 ||
      ring_id_of(name.substr(0, name.size() - suffix.size())) == 0) {
    return false;
  }
  // Its maker's pid is in the header once the header is written; a file without one is
  // left alone (its maker may be writing it now).
  const std::string path = path_ + "/" + name;
  io::File f;
  if (io::File::open(path, O_RDONLY | O_NOFOLLOW, 0, &f) < 0) return false;
  RingHeader::Identity id{};
  if (f.pread_full(&id, sizeof id, 0) != static_cast<ssize_t>(sizeof id)) return false;
  if (std::memcmp(id.magic, RingHeader::kMagic, sizeof id.magic) != 0) return false;
  if (io::process_alive(id.pid, id.start_ticks)) return false;
  return io::remove_path(path) == 0;
}

Status RingDirectory::reclaim(SharedRing ring, bool producer_dead, RingControl& control) {
  control.begin_retire(ring, producer_dead);
  const int rc = io::remove_path(ring.path());
  if (rc < 0 && rc != -ENOENT) {
    // Folded, but still here: finish_interrupted_reclaim unlinks it when the writer starts
    // again; until then the record stays (a second begin_retire would overwrite it).
    return io::errno_status(rc, "unlink ring " + ring.path());
  }
  control.end_retire();
  return Status::ok();
}

Status RingDirectory::finish_interrupted_reclaim(RingControl& control) const {
  const std::uint64_t id = control.interrupted_retire();
  if (id == 0) return Status::ok();
  control.apply_retiring();
  const std::string path = ring_path(id);
  const int rc = io::remove_path(path);
  if (rc < 0 && rc != -ENOENT) return io::errno_status(rc, "unlink reclaimed ring " + path);
  control.end_retire();
  return Status::ok();
}

}  // namespace spool::engine

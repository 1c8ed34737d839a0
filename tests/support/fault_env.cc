#include "support/fault_env.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>

namespace spool::testing {

FaultEnv::~FaultEnv() {
  for (auto& [key, u] : unsynced_) {
    if (u.dup_fd >= 0) ::close(u.dup_fd);
  }
}

void FaultEnv::fail(Rule rule) {
  std::lock_guard<std::mutex> lock(mu_);
  rules_.push_back(RuleState{std::move(rule)});
}

void FaultEnv::clear_rules() {
  std::lock_guard<std::mutex> lock(mu_);
  rules_.clear();
}

void FaultEnv::set_max_write_bytes(std::size_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  max_write_bytes_ = n;
}

void FaultEnv::crash_after_mutations(std::uint64_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  crash_after_ = mutations_ + n;
}

bool FaultEnv::crashed() const {
  std::lock_guard<std::mutex> lock(mu_);
  return mutations_ >= crash_after_;
}

std::uint64_t FaultEnv::mutations() const {
  std::lock_guard<std::mutex> lock(mu_);
  return mutations_;
}

std::uint64_t FaultEnv::calls(Op op) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = calls_.find(op);
  return it == calls_.end() ? 0 : it->second;
}

std::uint64_t FaultEnv::injected(Op op) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = injected_.find(op);
  return it == injected_.end() ? 0 : it->second;
}

int FaultEnv::check(Op op, const std::string& path, bool mutating) {
  std::lock_guard<std::mutex> lock(mu_);
  ++calls_[op];
  if (mutating) {
    if (mutations_ >= crash_after_) {
      ++injected_[op];
      return -EIO;  // the process is "dead": nothing it does reaches the disk any more
    }
    ++mutations_;
  }
  for (RuleState& r : rules_) {
    if (r.rule.op != op) continue;
    if (!r.rule.path_contains.empty() && path.find(r.rule.path_contains) == std::string::npos) {
      continue;
    }
    if (r.seen++ < r.rule.skip || r.fired >= r.rule.times) continue;
    ++r.fired;
    ++injected_[op];
    return -r.rule.err;
  }
  return 0;
}

std::string FaultEnv::path_of(int fd) const {
  auto it = fd_paths_.find(fd);
  return it == fd_paths_.end() ? std::string() : it->second;
}

int FaultEnv::check_fd(Op op, int fd, bool mutating) {
  std::string path;
  {
    std::lock_guard<std::mutex> lock(mu_);
    path = path_of(fd);
  }
  return check(op, path, mutating);
}

void FaultEnv::note_write(int fd, std::uint64_t from, std::uint64_t to) {
  struct stat st;
  if (from == to || ::fstat(fd, &st) != 0) return;
  std::lock_guard<std::mutex> lock(mu_);
  Unsynced& u = unsynced_[InodeKey{st.st_dev, st.st_ino}];
  if (u.dup_fd < 0) u.dup_fd = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  u.ranges.emplace_back(from, to);
}

void FaultEnv::note_sync(int fd) {
  struct stat st;
  if (::fstat(fd, &st) != 0) return;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = unsynced_.find(InodeKey{st.st_dev, st.st_ino});
  if (it == unsynced_.end()) return;
  if (it->second.dup_fd >= 0) ::close(it->second.dup_fd);
  unsynced_.erase(it);
}

void FaultEnv::drop_unsynced_writes() {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [key, u] : unsynced_) {
    if (u.dup_fd < 0) continue;
    struct stat st;
    const std::uint64_t size = ::fstat(u.dup_fd, &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
    for (const auto& [from, to] : u.ranges) {
      if (from >= size) continue;  // trimmed away since: nothing left to lose
      const std::uint64_t end = std::min(to, size);
      const std::vector<char> zeros(end - from, 0);
      (void)::pwrite(u.dup_fd, zeros.data(), zeros.size(), static_cast<off_t>(from));
    }
    ::close(u.dup_fd);
  }
  unsynced_.clear();
}

std::uint64_t FaultEnv::unsynced_bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::uint64_t n = 0;
  for (const auto& [key, u] : unsynced_) {
    for (const auto& [from, to] : u.ranges) n += to - from;
  }
  return n;
}

int FaultEnv::open(const std::string& path, int flags, mode_t mode) {
  if (int rc = check(Op::kOpen, path, (flags & O_CREAT) != 0); rc < 0) return rc;
  const int fd = PosixEnv::open(path, flags, mode);
  if (fd >= 0) {
    std::lock_guard<std::mutex> lock(mu_);
    fd_paths_[fd] = path;
  }
  return fd;
}

int FaultEnv::close(int fd) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    fd_paths_.erase(fd);
  }
  return PosixEnv::close(fd);
}

ssize_t FaultEnv::pread(int fd, void* buf, std::size_t len, std::uint64_t offset) {
  if (int rc = check_fd(Op::kRead, fd, false); rc < 0) return rc;
  return PosixEnv::pread(fd, buf, len, offset);
}

ssize_t FaultEnv::pwritev(int fd, const iovec* iov, int iovcnt, std::uint64_t offset) {
  if (int rc = check_fd(Op::kWrite, fd, true); rc < 0) return rc;
  std::size_t limit;
  {
    std::lock_guard<std::mutex> lock(mu_);
    limit = max_write_bytes_;
  }
  std::vector<iovec> clipped;
  if (limit > 0) {
    for (int i = 0; i < iovcnt && limit > 0; ++i) {
      const std::size_t n = std::min(limit, iov[i].iov_len);
      clipped.push_back(iovec{iov[i].iov_base, n});
      limit -= n;
    }
    iov = clipped.data();
    iovcnt = static_cast<int>(clipped.size());
  }
  const ssize_t n = PosixEnv::pwritev(fd, iov, iovcnt, offset);
  if (n > 0) note_write(fd, offset, offset + static_cast<std::uint64_t>(n));
  return n;
}

int FaultEnv::fallocate(int fd, std::uint64_t offset, std::uint64_t len) {
  if (int rc = check_fd(Op::kAllocate, fd, true); rc < 0) return rc;
  return PosixEnv::fallocate(fd, offset, len);
}

int FaultEnv::ftruncate(int fd, std::uint64_t size) {
  if (int rc = check_fd(Op::kTruncate, fd, true); rc < 0) return rc;
  return PosixEnv::ftruncate(fd, size);
}

int FaultEnv::fdatasync(int fd) {
  // A failed sync leaves the unsynced bytes unsynced: after a power loss they are gone.
  if (int rc = check_fd(Op::kSync, fd, true); rc < 0) return rc;
  const int rc = PosixEnv::fdatasync(fd);
  if (rc == 0) note_sync(fd);
  return rc;
}

int FaultEnv::fsync(int fd) {
  if (int rc = check_fd(Op::kSync, fd, true); rc < 0) return rc;
  const int rc = PosixEnv::fsync(fd);
  if (rc == 0) note_sync(fd);
  return rc;
}

int FaultEnv::sync_file_range_write(int fd) {
  // Starts writeback only: it makes nothing durable, so unsynced ranges stay unsynced.
  if (int rc = check_fd(Op::kSync, fd, false); rc < 0) return rc;
  return PosixEnv::sync_file_range_write(fd);
}

int FaultEnv::fstat(int fd, struct stat* st) {
  if (int rc = check_fd(Op::kStat, fd, false); rc < 0) return rc;
  return PosixEnv::fstat(fd, st);
}

int FaultEnv::fchmod(int fd, mode_t mode) {
  if (int rc = check_fd(Op::kChmod, fd, true); rc < 0) return rc;
  return PosixEnv::fchmod(fd, mode);
}

int FaultEnv::flock(int fd, int operation) {
  if (int rc = check_fd(Op::kLock, fd, false); rc < 0) return rc;
  return PosixEnv::flock(fd, operation);
}

int FaultEnv::stat(const std::string& path, struct stat* st) {
  if (int rc = check(Op::kStat, path, false); rc < 0) return rc;
  return PosixEnv::stat(path, st);
}

int FaultEnv::lstat(const std::string& path, struct stat* st) {
  if (int rc = check(Op::kStat, path, false); rc < 0) return rc;
  return PosixEnv::lstat(path, st);
}

int FaultEnv::rename(const std::string& from, const std::string& to) {
  if (int rc = check(Op::kRename, from, true); rc < 0) return rc;
  return PosixEnv::rename(from, to);
}

int FaultEnv::unlink(const std::string& path) {
  if (int rc = check(Op::kUnlink, path, true); rc < 0) return rc;
  return PosixEnv::unlink(path);
}

int FaultEnv::mkdir(const std::string& path, mode_t mode) {
  if (int rc = check(Op::kMkdir, path, true); rc < 0) return rc;
  return PosixEnv::mkdir(path, mode);
}

int FaultEnv::rmdir(const std::string& path) {
  if (int rc = check(Op::kUnlink, path, true); rc < 0) return rc;
  return PosixEnv::rmdir(path);
}

int FaultEnv::chmod(const std::string& path, mode_t mode) {
  if (int rc = check(Op::kChmod, path, true); rc < 0) return rc;
  return PosixEnv::chmod(path, mode);
}

int FaultEnv::list_directory(const std::string& dir, std::vector<io::DirEntry>* out) {
  if (int rc = check(Op::kList, dir, false); rc < 0) return rc;
  return PosixEnv::list_directory(dir, out);
}

int FaultEnv::mmap(int fd, std::size_t len, bool writable, void** out) {
  if (int rc = check_fd(Op::kMmap, fd, false); rc < 0) return rc;
  return PosixEnv::mmap(fd, len, writable, out);
}

}  // namespace spool::testing

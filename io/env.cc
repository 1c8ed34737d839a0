#include "io/env.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <memory>

namespace spool::io {

namespace {

// Runs a system call returning -1/errno, retrying EINTR; returns its result or -errno.
template <typename Call>
auto retry_eintr(Call call) -> decltype(call()) {
  decltype(call()) rc;
  do {
    rc = call();
  } while (rc < 0 && errno == EINTR);
  return rc < 0 ? -errno : rc;
}

std::atomic<Env*> current_env{nullptr};

}  // namespace

int PosixEnv::open(const std::string& path, int flags, mode_t mode) {
  return retry_eintr([&] { return ::open(path.c_str(), flags, mode); });
}

int PosixEnv::close(int fd) {
  // close(2) must not be retried on EINTR on Linux: the descriptor is gone either way.
  return ::close(fd) == 0 ? 0 : -errno;
}

ssize_t PosixEnv::pread(int fd, void* buf, std::size_t len, std::uint64_t offset) {
  return retry_eintr([&] { return ::pread(fd, buf, len, static_cast<off_t>(offset)); });
}

ssize_t PosixEnv::pwritev(int fd, const iovec* iov, int iovcnt, std::uint64_t offset) {
  return retry_eintr([&] { return ::pwritev(fd, iov, iovcnt, static_cast<off_t>(offset)); });
}

int PosixEnv::fallocate(int fd, std::uint64_t offset, std::uint64_t len) {
  return retry_eintr([&] {
    return ::fallocate(fd, 0, static_cast<off_t>(offset), static_cast<off_t>(len));
  });
}

int PosixEnv::ftruncate(int fd, std::uint64_t size) {
  return retry_eintr([&] { return ::ftruncate(fd, static_cast<off_t>(size)); });
}

int PosixEnv::fdatasync(int fd) { return ::fdatasync(fd) == 0 ? 0 : -errno; }
int PosixEnv::fsync(int fd) { return ::fsync(fd) == 0 ? 0 : -errno; }

int PosixEnv::sync_file_range_write(int fd) {
  return ::sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE) == 0 ? 0 : -errno;
}

int PosixEnv::fstat(int fd, struct stat* st) { return ::fstat(fd, st) == 0 ? 0 : -errno; }

int PosixEnv::fchmod(int fd, mode_t mode) { return ::fchmod(fd, mode) == 0 ? 0 : -errno; }

int PosixEnv::flock(int fd, int operation) {
  return retry_eintr([&] { return ::flock(fd, operation); });
}

int PosixEnv::stat(const std::string& path, struct stat* st) {
  return ::stat(path.c_str(), st) == 0 ? 0 : -errno;
}

int PosixEnv::lstat(const std::string& path, struct stat* st) {
  return ::lstat(path.c_str(), st) == 0 ? 0 : -errno;
}

int PosixEnv::rename(const std::string& from, const std::string& to) {
  return ::rename(from.c_str(), to.c_str()) == 0 ? 0 : -errno;
}

int PosixEnv::unlink(const std::string& path) { return ::unlink(path.c_str()) == 0 ? 0 : -errno; }

int PosixEnv::mkdir(const std::string& path, mode_t mode) {
  return ::mkdir(path.c_str(), mode) == 0 ? 0 : -errno;
}

int PosixEnv::rmdir(const std::string& path) { return ::rmdir(path.c_str()) == 0 ? 0 : -errno; }

int PosixEnv::chmod(const std::string& path, mode_t mode) {
  return ::chmod(path.c_str(), mode) == 0 ? 0 : -errno;
}

int PosixEnv::list_directory(const std::string& dir, std::vector<DirEntry>* out) {
  out->clear();
  std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(dir.c_str()), &::closedir);
  if (!d) return -errno;
  errno = 0;
  while (dirent* e = ::readdir(d.get())) {
    const std::string name(e->d_name);
    if (name == "." || name == "..") continue;
    DirEntry entry{name, e->d_type == DT_REG, e->d_type == DT_DIR};
    if (e->d_type == DT_UNKNOWN) {
      struct stat st;
      if (::lstat((dir + "/" + name).c_str(), &st) == 0) {
        entry.regular_file = S_ISREG(st.st_mode);
        entry.directory = S_ISDIR(st.st_mode);
      }
    }
    out->push_back(std::move(entry));
    errno = 0;
  }
  return errno == 0 ? 0 : -errno;
}

int PosixEnv::mmap(int fd, std::size_t len, bool writable, void** out) {
  const int prot = PROT_READ | (writable ? PROT_WRITE : 0);
  void* p = ::mmap(nullptr, len, prot, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) return -errno;
  *out = p;
  return 0;
}

int PosixEnv::munmap(void* addr, std::size_t len) { return ::munmap(addr, len) == 0 ? 0 : -errno; }

PosixEnv& posix_env() noexcept {
  static PosixEnv* const instance = new PosixEnv();  // never destroyed: used until exit
  return *instance;
}

Env& env() noexcept {
  Env* e = current_env.load(std::memory_order_acquire);
  return e != nullptr ? *e : posix_env();
}

Env* set_env(Env* e) noexcept {
  Env* previous = current_env.exchange(e, std::memory_order_acq_rel);
  return previous;
}

bool default_env_installed() noexcept {
  Env* e = current_env.load(std::memory_order_acquire);
  return e == nullptr || e == &posix_env();
}

}  // namespace spool::io

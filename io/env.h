// Env: the one door through which spool reaches the file system (after LevelDB's Env).
//
// Every file operation spool makes (open, read, write, allocate, truncate, sync, rename,
// unlink, mkdir, chmod, directory listing, stat, mmap, flock) calls the process's current Env.
// Production uses the POSIX one; a test installs its own (tests/support/fault_env.h) to inject
// ENOSPC, EIO, EMFILE, short writes, a failed fsync or a crash between any two operations,
// without root and without a special file system.
//
// Conventions: like the rest of io/, every call returns 0 (or a count / a descriptor) on
// success and -errno on failure; none of them retries on its own except on EINTR.
//
// The current Env is a process-wide pointer read with acquire semantics. Swap it only while no
// spool object is doing I/O (tests do it between opens); a swapped-out Env must outlive every
// descriptor opened through it. io_uring submits writes inside the kernel where no Env can see
// them, so the appender uses plain pwritev whenever a non-default Env is installed.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace spool::io {

// One entry of a directory listing ("." and ".." left out).
struct DirEntry {
  std::string name;
  bool regular_file = false;  // resolved with lstat when the file system gives no d_type
  bool directory = false;
};

class Env {
 public:
  virtual ~Env() = default;

  // open(2); O_CLOEXEC is added by the caller (io::File). Returns a descriptor or -errno.
  virtual int open(const std::string& path, int flags, mode_t mode) = 0;
  virtual int close(int fd) = 0;
  virtual ssize_t pread(int fd, void* buf, std::size_t len, std::uint64_t offset) = 0;
  // May write fewer bytes than asked (callers loop); 0 bytes written is reported as -EIO.
  virtual ssize_t pwritev(int fd, const iovec* iov, int iovcnt, std::uint64_t offset) = 0;
  virtual int fallocate(int fd, std::uint64_t offset, std::uint64_t len) = 0;
  virtual int ftruncate(int fd, std::uint64_t size) = 0;
  virtual int fdatasync(int fd) = 0;
  virtual int fsync(int fd) = 0;
  virtual int sync_file_range_write(int fd) = 0;
  virtual int fstat(int fd, struct stat* st) = 0;
  virtual int fchmod(int fd, mode_t mode) = 0;
  virtual int flock(int fd, int operation) = 0;

  virtual int stat(const std::string& path, struct stat* st) = 0;
  virtual int lstat(const std::string& path, struct stat* st) = 0;
  virtual int rename(const std::string& from, const std::string& to) = 0;
  virtual int unlink(const std::string& path) = 0;
  virtual int mkdir(const std::string& path, mode_t mode) = 0;
  virtual int rmdir(const std::string& path) = 0;
  virtual int chmod(const std::string& path, mode_t mode) = 0;
  virtual int list_directory(const std::string& dir, std::vector<DirEntry>* out) = 0;

  // mmap(2) of [0, len) of fd, MAP_SHARED; *out receives the address. Returns 0 or -errno.
  virtual int mmap(int fd, std::size_t len, bool writable, void** out) = 0;
  virtual int munmap(void* addr, std::size_t len) = 0;
};

// The POSIX implementation: each call is the system call of the same name.
class PosixEnv : public Env {
 public:
  int open(const std::string& path, int flags, mode_t mode) override;
  int close(int fd) override;
  ssize_t pread(int fd, void* buf, std::size_t len, std::uint64_t offset) override;
  ssize_t pwritev(int fd, const iovec* iov, int iovcnt, std::uint64_t offset) override;
  int fallocate(int fd, std::uint64_t offset, std::uint64_t len) override;
  int ftruncate(int fd, std::uint64_t size) override;
  int fdatasync(int fd) override;
  int fsync(int fd) override;
  int sync_file_range_write(int fd) override;
  int fstat(int fd, struct stat* st) override;
  int fchmod(int fd, mode_t mode) override;
  int flock(int fd, int operation) override;
  int stat(const std::string& path, struct stat* st) override;
  int lstat(const std::string& path, struct stat* st) override;
  int rename(const std::string& from, const std::string& to) override;
  int unlink(const std::string& path) override;
  int mkdir(const std::string& path, mode_t mode) override;
  int rmdir(const std::string& path) override;
  int chmod(const std::string& path, mode_t mode) override;
  int list_directory(const std::string& dir, std::vector<DirEntry>* out) override;
  int mmap(int fd, std::size_t len, bool writable, void** out) override;
  int munmap(void* addr, std::size_t len) override;
};

// The process's current Env (the POSIX one unless a test installed another).
Env& env() noexcept;
// The POSIX Env, for wrappers that pass calls through.
PosixEnv& posix_env() noexcept;
// Installs `e` (nullptr: back to POSIX) and returns the previous one.
Env* set_env(Env* e) noexcept;
// True while the POSIX Env is installed.
bool default_env_installed() noexcept;

// Installs an Env for the lifetime of the guard (tests).
class ScopedEnv {
 public:
  explicit ScopedEnv(Env* e) noexcept : previous_(set_env(e)) {}
  ~ScopedEnv() { set_env(previous_); }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  Env* previous_;
};

}  // namespace spool::io

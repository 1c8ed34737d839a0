#include "io/file.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <utility>

#include "io/env.h"

namespace spool::io {

File::~File() { close(); }

File& File::operator=(File&& other) noexcept {
  if (this != &other) {
    close();
    fd_ = other.release();
  }
  return *this;
}

int File::open(const std::string& path, int flags, mode_t mode, File* out) {
  const int fd = env().open(path, flags | O_CLOEXEC, mode);
  if (fd < 0) return fd;
  *out = File(fd);
  return 0;
}

int File::create(const std::string& path, int flags, mode_t mode, File* out) {
  File f;
  int rc = open(path, flags | O_CREAT | O_NOFOLLOW, mode, &f);
  if (rc < 0) return rc;
  struct stat st;
  if ((rc = env().fstat(f.fd(), &st)) < 0) return rc;
  if (!S_ISREG(st.st_mode)) return -EINVAL;
  if (st.st_uid != ::geteuid()) return -EPERM;  // someone else's file: not ours to write
  if ((st.st_mode & 07777) != mode && (rc = env().fchmod(f.fd(), mode)) < 0) return rc;
  *out = std::move(f);
  return 0;
}

int File::release() noexcept { return std::exchange(fd_, -1); }

int File::close() noexcept {
  if (fd_ < 0) return 0;
  return env().close(std::exchange(fd_, -1));
}

ssize_t File::pread_full(void* buf, std::size_t len, std::uint64_t offset) const {
  std::size_t done = 0;
  auto* p = static_cast<char*>(buf);
  while (done < len) {
    const ssize_t n = env().pread(fd_, p + done, len - done, offset + done);
    if (n < 0) return n;
    if (n == 0) break;
    done += static_cast<std::size_t>(n);
  }
  return static_cast<ssize_t>(done);
}

int File::pwrite_full(const void* buf, std::size_t len, std::uint64_t offset) const {
  std::size_t done = 0;
  const auto* p = static_cast<const char*>(buf);
  while (done < len) {
    iovec iov{const_cast<char*>(p + done), len - done};
    const ssize_t n = env().pwritev(fd_, &iov, 1, offset + done);
    if (n < 0) return static_cast<int>(n);
    if (n == 0) return -EIO;
    done += static_cast<std::size_t>(n);
  }
  return 0;
}

int File::allocate(std::uint64_t offset, std::uint64_t len) const {
  const int rc = env().fallocate(fd_, offset, len);
  if (rc == 0) return 0;
  if (rc != -EOPNOTSUPP && rc != -ENOSYS) return rc;
  std::int64_t current = size();
  if (current < 0) return static_cast<int>(current);
  if (static_cast<std::uint64_t>(current) >= offset + len) return 0;
  return truncate(offset + len);
}

int File::truncate(std::uint64_t size) const {
  return env().ftruncate(fd_, size);
}

int File::datasync() const { return env().fdatasync(fd_); }
int File::start_writeback() const { return env().sync_file_range_write(fd_); }
int File::sync() const { return env().fsync(fd_); }

std::int64_t File::size() const {
  struct stat st;
  const int rc = env().fstat(fd_, &st);
  if (rc < 0) return rc;
  return st.st_size;
}

int fsync_directory(const std::string& dir) {
  File d;
  int rc = File::open(dir, O_RDONLY | O_DIRECTORY, 0, &d);
  if (rc < 0) return rc;
  return d.sync();
}

std::string atomic_temp_name(const std::string& name) { return name + ".tmp"; }

int write_file_atomically(const std::string& dir, const std::string& name, const void* data,
                          std::size_t len, bool durable, mode_t mode) {
  const std::string final_path = dir + "/" + name;
  const std::string tmp_path = dir + "/" + atomic_temp_name(name);
  File f;
  int rc = File::create(tmp_path, O_WRONLY | O_EXCL, mode, &f);
  if (rc == -EEXIST) {
    // A temp of this exact name is what a crash mid-write leaves; nothing else makes it.
    if ((rc = remove_path(tmp_path)) < 0 && rc != -ENOENT) return rc;
    rc = File::create(tmp_path, O_WRONLY | O_EXCL, mode, &f);
  }
  if (rc < 0) return rc;
  if ((rc = f.pwrite_full(data, len, 0)) < 0) return rc;
  if (durable && (rc = f.sync()) < 0) return rc;
  if ((rc = f.close()) < 0) return rc;
  if ((rc = rename_path(tmp_path, final_path)) < 0) return rc;
  return durable ? fsync_directory(dir) : 0;
}

int read_small_file(const std::string& path, std::string* out, std::size_t max_bytes) {
  File f;
  int rc = File::open(path, O_RDONLY | O_NOFOLLOW, 0, &f);
  if (rc < 0) return rc;
  std::int64_t sz = f.size();
  if (sz < 0) return static_cast<int>(sz);
  if (static_cast<std::uint64_t>(sz) > max_bytes) return -EFBIG;
  out->resize(static_cast<std::size_t>(sz));
  ssize_t n = f.pread_full(out->data(), out->size(), 0);
  if (n < 0) return static_cast<int>(n);
  out->resize(static_cast<std::size_t>(n));
  return 0;
}

int rename_path(const std::string& from, const std::string& to) { return env().rename(from, to); }

int remove_path(const std::string& path) { return env().unlink(path); }

int make_directory(const std::string& path, mode_t mode) {
  const int rc = env().mkdir(path, mode);
  if (rc == 0) return env().chmod(path, mode);
  if (rc != -EEXIST) return rc;
  struct stat st;
  const int st_rc = env().stat(path, &st);
  if (st_rc < 0) return st_rc;
  return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

}  // namespace spool::io

// RAII file descriptor with the handful of calls the log needs. io/ speaks errno: every
// call returns 0 (or a byte count) on success and -errno on failure; the layers above turn
// that into a spool::Status with the path and operation attached.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace spool::io {

// Modes of what spool creates unless told otherwise: readable by the owner only (the logs
// hold prompts and model outputs).
inline constexpr mode_t kPrivateFileMode = 0600;
inline constexpr mode_t kPrivateDirMode = 0700;

class File {
 public:
  File() = default;
  explicit File(int fd) noexcept : fd_(fd) {}
  ~File();
  File(File&& other) noexcept : fd_(other.release()) {}
  File& operator=(File&& other) noexcept;
  File(const File&) = delete;
  File& operator=(const File&) = delete;

  // open(2) with O_CLOEXEC added. Returns 0 or -errno.
  static int open(const std::string& path, int flags, mode_t mode, File* out);
  // open(2) with O_CREAT | O_NOFOLLOW | O_CLOEXEC added, then the file gets exactly `mode`
  // (fchmod: the umask neither widens nor narrows it). A symlink at `path` is -ELOOP; an
  // existing file owned by another user is -EPERM and anything but a regular file -EINVAL
  // (neither is touched). Add O_EXCL to insist on a new file.
  static int create(const std::string& path, int flags, mode_t mode, File* out);

  int fd() const noexcept { return fd_; }
  bool is_open() const noexcept { return fd_ >= 0; }
  int release() noexcept;
  int close() noexcept;

  // Reads up to len bytes at offset, retrying short reads; returns bytes read (less than
  // len only at end of file) or -errno.
  ssize_t pread_full(void* buf, std::size_t len, std::uint64_t offset) const;
  // Writes all len bytes at offset, retrying short writes; returns 0 or -errno.
  int pwrite_full(const void* buf, std::size_t len, std::uint64_t offset) const;
  // Reserves [offset, offset+len) so later writes cannot fail with ENOSPC. Falls back to
  // extending with ftruncate on file systems without fallocate (the space is then sparse).
  int allocate(std::uint64_t offset, std::uint64_t len) const;
  int truncate(std::uint64_t size) const;
  int datasync() const;
  int sync() const;
  // Starts writeback of the file's dirty pages without waiting (sync_file_range WRITE), so a
  // later fdatasync finds little left to do. Returns 0 or -errno.
  int start_writeback() const;
  // Current size in bytes, or -errno.
  std::int64_t size() const;

 private:
  int fd_ = -1;
};

// fsync of a directory, so that creates, renames and unlinks in it are durable.
int fsync_directory(const std::string& dir);
// Writes `contents` to `path` atomically: temp file, rename. With `durable`, the temp file
// is fsynced before the rename and the directory after it, so the new contents survive
// power loss; without, a crash leaves the old or the new contents (or, after power loss,
// possibly an empty file), which suits files that are checked and rebuildable.
// The temp file is <name>.tmp, created O_EXCL | O_NOFOLLOW with exactly `mode`; a stale one
// of that exact name (left by a crash) is removed and the create retried once.
int write_file_atomically(const std::string& dir, const std::string& name, const void* data,
                          std::size_t len, bool durable = true, mode_t mode = kPrivateFileMode);
// The temp name write_file_atomically uses for `name`.
std::string atomic_temp_name(const std::string& name);
// Reads a whole (small) file. Returns 0 or -errno.
int read_small_file(const std::string& path, std::string* out, std::size_t max_bytes);
int rename_path(const std::string& from, const std::string& to);
int remove_path(const std::string& path);  // -ENOENT when absent
// mkdir with exactly `mode` (chmod after it: the umask cannot change it). 0 when a directory
// exists already (left as it is: callers that must trust it check its owner and mode).
int make_directory(const std::string& path, mode_t mode = kPrivateDirMode);

}  // namespace spool::io

// FaultEnv: an io::Env for tests that injects the failures a real disk and kernel produce:
// an errno for chosen operations (ENOSPC, EIO, EMFILE, ENOMEM, ...), short writes, a failed
// fsync, a crash between any two operations, and a power loss that drops every write not
// yet made durable. No root, no special file system.
//
//   spool::testing::FaultEnv faults;
//   spool::io::ScopedEnv scope(&faults);               // every spool file operation now
//   faults.fail({FaultEnv::Op::kWrite, ENOSPC, ".seg"}); //   goes through `faults`
//
// The power-loss model: bytes written to a file since its last fdatasync/fsync are lost
// (replaced by zeros, which is what a preallocated block reads as when its data never
// reached the disk); names (creates, renames, unlinks) are kept. The model is pessimistic
// about data and generous about names, which is what recovery has to handle anyway.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <limits>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "io/env.h"

namespace spool::testing {

class FaultEnv : public io::PosixEnv {
 public:
  enum class Op {
    kOpen,      // open (creating or not)
    kRead,      // pread
    kWrite,     // pwritev
    kAllocate,  // fallocate
    kTruncate,  // ftruncate
    kSync,      // fdatasync and fsync
    kRename,
    kUnlink,    // unlink and rmdir
    kMkdir,
    kList,      // directory listing
    kMmap,
    kLock,      // flock
    kStat,      // stat, lstat, fstat
    kChmod,
  };

  // Fails calls of `op` whose path contains `path_contains` (empty: any path) with `err`:
  // after letting `skip` matching calls through, the next `times` ones.
  struct Rule {
    Op op;
    int err;
    std::string path_contains;
    std::uint64_t skip = 0;
    std::uint64_t times = std::numeric_limits<std::uint64_t>::max();
  };

  FaultEnv() = default;
  ~FaultEnv() override;
  FaultEnv(const FaultEnv&) = delete;
  FaultEnv& operator=(const FaultEnv&) = delete;

  void fail(Rule rule);
  void clear_rules();
  // Every pwritev writes at most this many bytes (0: no limit), so callers must loop.
  void set_max_write_bytes(std::size_t n);

  // Lets `n` more mutating operations (write, allocate, truncate, sync, rename, unlink,
  // mkdir, chmod, creating open) happen, then "crashes": every later mutating operation
  // fails with EIO without touching anything, as if the process had died in between.
  void crash_after_mutations(std::uint64_t n);
  bool crashed() const;
  // Mutating operations so far (to enumerate crash points: run once, read this, then crash
  // after 0, 1, ..., n-1).
  std::uint64_t mutations() const;

  // Power loss: every byte written since its file's last sync is replaced by zeros. Call it
  // after the objects that wrote have been abandoned or destroyed.
  void drop_unsynced_writes();
  // Bytes written and not yet synced, over all files.
  std::uint64_t unsynced_bytes() const;

  // Calls of `op` so far (failed ones included).
  std::uint64_t calls(Op op) const;
  // Calls of `op` that this Env failed.
  std::uint64_t injected(Op op) const;

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
  int list_directory(const std::string& dir, std::vector<io::DirEntry>* out) override;
  int mmap(int fd, std::size_t len, bool writable, void** out) override;

 private:
  struct RuleState {
    Rule rule;
    std::uint64_t seen = 0;
    std::uint64_t fired = 0;
  };
  // An inode with writes not yet synced: a private duplicate of a descriptor to it (so the
  // bytes can be zeroed even after a rename or unlink) and the written ranges.
  struct Unsynced {
    int dup_fd = -1;
    std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges;  // [from, to)
  };
  using InodeKey = std::pair<dev_t, ino_t>;

  // Counts the call and returns the injected -errno, or 0 to let it through. Takes mu_.
  int check(Op op, const std::string& path, bool mutating);
  int check_fd(Op op, int fd, bool mutating);
  std::string path_of(int fd) const;  // mu_ held
  void note_write(int fd, std::uint64_t from, std::uint64_t to);
  void note_sync(int fd);

  mutable std::mutex mu_;
  std::vector<RuleState> rules_;
  std::map<int, std::string> fd_paths_;
  std::map<InodeKey, Unsynced> unsynced_;
  std::map<Op, std::uint64_t> calls_;
  std::map<Op, std::uint64_t> injected_;
  std::size_t max_write_bytes_ = 0;
  std::uint64_t mutations_ = 0;
  std::uint64_t crash_after_ = std::numeric_limits<std::uint64_t>::max();
};

}  // namespace spool::testing

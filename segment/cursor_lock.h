// CursorLock: who owns a consumer cursor. A forwarder, in whatever process, holds
// <log_dir>/cursors/<name>.lock (an io::LockFile: flock + the holder's pid) for as long as
// it runs, because one cursor has one writer (cursor_store.h): two forwarders committing the
// same cursor would each skip or repeat what the other delivered. The second one is refused
// with the holder's pid. The kernel drops the lock when the holder dies (kill -9 included),
// so a crashed forwarder never blocks the next one. Reading cursors takes no lock.
#pragma once

#include <string>
#include <string_view>

#include "io/lock_file.h"
#include "spool/status.h"

namespace spool::segment {

class CursorLock {
 public:
  static constexpr std::string_view kSuffix = ".lock";

  // Locks cursor `name` of the log in `log_dir` (whose cursors/ directory exists:
  // CursorStore::open). The lock file gets `file_mode`. Locked "cursor 'NAME' of log DIR is
  // held by pid N" when another forwarder has it.
  static Result<CursorLock> acquire(const std::string& log_dir, std::string_view name, mode_t file_mode);

  CursorLock() = default;
  CursorLock(CursorLock&&) noexcept = default;
  CursorLock& operator=(CursorLock&&) noexcept = default;

  bool held() const noexcept { return lock_.held(); }
  void release() noexcept { lock_.release(); }

 private:
  io::LockFile lock_;
};

}  // namespace spool::segment

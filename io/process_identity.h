// Which process is which, across pid reuse: a pid plus the process's start time (field 22 of
// /proc/<pid>/stat, clock ticks since boot). A pid alone may be reused by an unrelated process
// after its owner died; the pair is unique for the life of the boot. Shared producer rings
// record the pair of the process that made them, so the writer can tell a dead producer.
#pragma once

#include <sys/types.h>

#include <cstdint>

namespace spool::io {

// The start time of process `pid`, or 0 when it does not exist (or /proc cannot be read).
std::uint64_t process_start_ticks(pid_t pid);

// This process's start time (read from /proc each call: for slow paths, such as making a ring).
std::uint64_t own_start_ticks();

// The caller's kernel thread id.
pid_t current_tid() noexcept;

// False only when `pid` is certainly gone: no such process (kill(pid, 0) says ESRCH), a zombie
// (ended, not yet reaped by its parent), or a process with another start time holds the pid
// now. A process of another user is alive.
bool process_alive(pid_t pid, std::uint64_t start_ticks);

}  // namespace spool::io

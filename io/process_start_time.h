// The start time of a process, so that a pid recorded in a file is not mistaken for a live
// holder after the process died and the kernel gave its pid to another one.
#pragma once

#include <sys/types.h>

#include <cstdint>

namespace spool::io {

// Field 22 of /proc/<pid>/stat (starttime: clock ticks after boot at which the process
// started). Returns 0 and sets *ticks, or -errno (-ENOENT: no such process).
int process_start_time(pid_t pid, std::uint64_t* ticks);

// True when a process with this pid exists and started at `start_ticks`.
bool process_alive(pid_t pid, std::uint64_t start_ticks);

}  // namespace spool::io

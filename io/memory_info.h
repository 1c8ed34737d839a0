// How much memory this process may still use: the tightest cgroup v2 limit on its cgroup
// or an ancestor, else the machine's /proc/meminfo. The adaptive queue budget reads it once
// per check interval on the writer thread.
#pragma once

#include <cstdint>
#include <string>

// Unlike the rest of io/ (which speaks -errno), this reports parse failures of kernel text
// files, and an errno cannot say "memory.max holds 'lots'"; status.h is header-only and
// depends on nothing but the standard library.
#include "spool/status.h"

namespace spool::io {

struct MemorySnapshot {
  std::uint64_t limit_bytes = 0;      // what the process may use in total
  std::uint64_t used_bytes = 0;       // what counts against that limit now
  std::uint64_t available_bytes = 0;  // limit - used, never negative
  bool from_cgroup = false;           // false: the machine's meminfo
};

// Where the kernel's files are; tests point these at fake trees.
struct MemoryPaths {
  std::string proc_root = "/proc";
  std::string cgroup_root = "/sys/fs/cgroup";  // the cgroup v2 mount
};

// The cgroup v2 reading when this process's cgroup (from <proc>/self/cgroup, line "0::<path>")
// or an ancestor has a numeric memory.max: of those levels, the one with the least room
// left, because a loose limit higher up can still be the one that runs out first when
// sibling cgroups use it. used there is memory.current minus inactive_file of memory.stat
// (page cache the kernel reclaims before it OOM-kills, and which a process writing a log
// fills quickly; without memory.stat, all of memory.current). A level without memory.max
// has no memory controller, so no limit of its own. Otherwise (no "0::" line, no numeric
// limit up to the root) or when a cgroup file is unreadable or malformed: MemTotal and
// MemAvailable of <proc>/meminfo. An error only when neither can be read; its message names
// the files and what was wrong with them.
Result<MemorySnapshot> read_memory_snapshot(const MemoryPaths& paths = {});

}  // namespace spool::io

// The kernel's boot id: changes on every boot, so a log can tell "the process died" (page
// cache intact) from "the machine went down" (anything not synced may be gone).
#pragma once

#include <string>

namespace spool::io {

// /proc/sys/kernel/random/boot_id, or "" where it cannot be read.
std::string boot_id();

}  // namespace spool::io

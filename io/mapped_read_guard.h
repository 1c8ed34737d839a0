// Guarded reads of a file mapping: SIGBUS turned into a count of readable bytes.
//
// Reading a mapped file faults with SIGBUS where the kernel cannot supply the page: an I/O
// error (a bad block) or a file trimmed shorter than its mapping. Recovery, verification and
// readers probe a range before they read it in place; the probe touches one byte per page
// with a SIGBUS handler armed for this thread and this range (sigsetjmp/siglongjmp), so a
// fault inside the range ends the probe instead of the process.
//
// Why a probe and not guarded reads throughout: a siglongjmp must not cross C++ frames that
// own resources, and the probe is the one place small enough to be sure of that. What it
// leaves open: a page probed readable that is evicted and then trimmed (or fails to read
// back) before the caller reads it; that window is the caller's next few instructions.
//
// The handler is installed once per process, on first use. A SIGBUS that is not a probe's
// (another thread, an address outside the probed range) goes to the handler installed
// before it, or gets the default action (the process dies with SIGBUS, as without this).
#pragma once

#include <cstddef>
#include <cstdint>

namespace spool::io {

// How many bytes from `addr` (of the `len` asked) can be read without a fault, rounded to
// the end of the last readable page (at most `len`). `len` when the whole range is readable.
std::size_t readable_prefix(const std::uint8_t* addr, std::size_t len) noexcept;

}  // namespace spool::io

// Futex wait/wake on a 32-bit atomic: how the writer thread sleeps when idle (no core
// spinning on an edge device) and how a producer wakes it within microseconds. Unlike
// std::atomic::wait, the wait takes a timeout, which the writer needs for its timers.
#pragma once

#include <atomic>
#include <cstdint>

namespace spool::io {

// Sleeps while *word == expected, at most timeout_ns (< 0: no limit). Returns on a wake,
// a value change, the timeout, or a signal; callers re-check their condition.
void futex_wait(std::atomic<std::uint32_t>* word, std::uint32_t expected, std::int64_t timeout_ns) noexcept;
// Wakes up to `waiters` threads sleeping on `word`.
void futex_wake(std::atomic<std::uint32_t>* word, int waiters) noexcept;

}  // namespace spool::io

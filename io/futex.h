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

// The same on a word in memory shared between processes (a MAP_SHARED file mapping): the
// kernel keys these by the backing page, not by this process's address space, so a waiter
// in one process is woken by a wake in another. Slightly dearer than the private ones.
void futex_wait_shared(std::atomic<std::uint32_t>* word, std::uint32_t expected, std::int64_t timeout_ns) noexcept;
void futex_wake_shared(std::atomic<std::uint32_t>* word, int waiters) noexcept;

}  // namespace spool::io

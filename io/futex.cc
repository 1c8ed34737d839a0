#include "io/futex.h"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

namespace spool::io {

namespace {
static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t));

std::uint32_t* address_of(std::atomic<std::uint32_t>* word) noexcept {
  // std::atomic<uint32_t> is a plain 32-bit word on Linux; the kernel compares it.
  return reinterpret_cast<std::uint32_t*>(word);
}

void wait_with(int op, std::atomic<std::uint32_t>* word, std::uint32_t expected, std::int64_t timeout_ns) noexcept {
  timespec ts{};
  timespec* timeout = nullptr;
  if (timeout_ns >= 0) {
    ts.tv_sec = static_cast<time_t>(timeout_ns / 1'000'000'000);
    ts.tv_nsec = static_cast<long>(timeout_ns % 1'000'000'000);
    timeout = &ts;
  }
  // Relative timeout with FUTEX_WAIT; EAGAIN (value changed), EINTR and ETIMEDOUT all mean
  // "re-check", so the result is not inspected.
  syscall(SYS_futex, address_of(word), op, expected, timeout, nullptr, 0);
}

}  // namespace

void futex_wait(std::atomic<std::uint32_t>* word, std::uint32_t expected, std::int64_t timeout_ns) noexcept {
  wait_with(FUTEX_WAIT_PRIVATE, word, expected, timeout_ns);
}

void futex_wait_shared(std::atomic<std::uint32_t>* word, std::uint32_t expected, std::int64_t timeout_ns) noexcept {
  wait_with(FUTEX_WAIT, word, expected, timeout_ns);
}

void futex_wake_shared(std::atomic<std::uint32_t>* word, int waiters) noexcept {
  syscall(SYS_futex, address_of(word), FUTEX_WAKE, waiters, nullptr, nullptr, 0);
}

void futex_wake(std::atomic<std::uint32_t>* word, int waiters) noexcept {
  syscall(SYS_futex, address_of(word), FUTEX_WAKE_PRIVATE, waiters, nullptr, nullptr, 0);
}

}  // namespace spool::io

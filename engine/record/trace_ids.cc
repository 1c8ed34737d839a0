// TraceId / SpanId (records.h): validity, hex text, and new random ids (trace_context.h).
#include <pthread.h>
#include <sys/random.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>

#include "io/hex.h"
#include "spool/records.h"
#include "spool/trace_context.h"

namespace spool {

namespace {

template <std::size_t N>
bool any_nonzero(const std::array<std::uint8_t, N>& bytes) noexcept {
  std::uint8_t acc = 0;
  for (std::uint8_t b : bytes) acc |= b;
  return acc != 0;
}


// Bumped in the child after fork(): a forked child inherits its parent's thread-local PRNG
// state and would otherwise repeat the parent's ids.
std::atomic<std::uint64_t> g_fork_generation{1};

void on_fork_child() noexcept { g_fork_generation.fetch_add(1, std::memory_order_relaxed); }

const bool g_atfork_registered = [] {
  return pthread_atfork(nullptr, nullptr, on_fork_child) == 0;
}();

std::uint64_t os_seed() noexcept {
  std::uint64_t seed = 0;
  if (getrandom(&seed, sizeof seed, GRND_NONBLOCK) == static_cast<ssize_t>(sizeof seed)) {
    return seed;
  }
  // No entropy yet (early boot) or no getrandom: time and thread identity still make
  // threads and processes diverge, which is all ids need.
  const auto now = std::chrono::steady_clock::now().time_since_epoch().count();
  const auto wall = std::chrono::system_clock::now().time_since_epoch().count();
  const auto tid = std::hash<std::thread::id>{}(std::this_thread::get_id());
  return static_cast<std::uint64_t>(now) ^ (static_cast<std::uint64_t>(wall) << 1) ^
         (static_cast<std::uint64_t>(tid) << 17) ^ reinterpret_cast<std::uintptr_t>(&seed);
}

// splitmix64: one add and three xor-shift-multiplies per 64 bits, full period, and every
// state gives a different output, which is plenty for ids (not for secrets).
class IdGenerator {
 public:
  std::uint64_t next() noexcept {
    const std::uint64_t generation = g_fork_generation.load(std::memory_order_relaxed);
    if (generation != generation_) {
      state_ = os_seed();
      generation_ = generation;
    }
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }

 private:
  std::uint64_t state_ = 0;
  std::uint64_t generation_ = 0;  // never equal to g_fork_generation: seeds on first use
};

thread_local IdGenerator t_ids;

}  // namespace

bool TraceId::valid() const noexcept { return any_nonzero(bytes); }
std::string TraceId::hex() const { return io::hex(bytes); }
bool SpanId::valid() const noexcept { return any_nonzero(bytes); }
std::string SpanId::hex() const { return io::hex(bytes); }

TraceId new_trace_id() noexcept {
  (void)g_atfork_registered;
  TraceId id;
  do {
    const std::uint64_t hi = t_ids.next();
    const std::uint64_t lo = t_ids.next();
    std::memcpy(id.bytes.data(), &hi, 8);
    std::memcpy(id.bytes.data() + 8, &lo, 8);
  } while (!id.valid());
  return id;
}

SpanId new_span_id() noexcept {
  (void)g_atfork_registered;
  SpanId id;
  do {
    const std::uint64_t v = t_ids.next();
    std::memcpy(id.bytes.data(), &v, 8);
  } while (!id.valid());
  return id;
}

}  // namespace spool

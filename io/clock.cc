#include "io/clock.h"

#include <time.h>

namespace spool::io {

namespace {
std::int64_t read_clock(clockid_t id) noexcept {
  timespec ts;
  ::clock_gettime(id, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}
}  // namespace

std::int64_t wall_clock_ns() noexcept { return read_clock(CLOCK_REALTIME); }
std::int64_t monotonic_ns() noexcept { return read_clock(CLOCK_MONOTONIC); }
std::int64_t coarse_wall_clock_ns() noexcept { return read_clock(CLOCK_REALTIME_COARSE); }

}  // namespace spool::io

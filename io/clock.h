// Clocks. Wall time stamps records; monotonic time measures intervals.
#pragma once

#include <cstdint>

namespace spool::io {

std::int64_t wall_clock_ns() noexcept;
std::int64_t monotonic_ns() noexcept;
// Wall time at the kernel tick's resolution (CLOCK_REALTIME_COARSE: 1-4 ms), for stamps taken
// on the producer's hot path: it costs ~10 ns here where CLOCK_REALTIME costs ~43 ns.
std::int64_t coarse_wall_clock_ns() noexcept;

}  // namespace spool::io

// Clocks. Wall time stamps records; monotonic time measures intervals.
#pragma once

#include <cstdint>

namespace spool::io {

std::int64_t wall_clock_ns() noexcept;
std::int64_t monotonic_ns() noexcept;

}  // namespace spool::io

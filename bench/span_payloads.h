// The payloads of the queue benchmarks: 700 bytes (a standard span, ../shared/WORKLOAD.md),
// 64 distinct ones of printable bytes from a seeded PRNG, made before any timing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <random>
#include <vector>

namespace spool::bench {

inline constexpr std::size_t kPayloadBytes = 700;
inline constexpr std::size_t kDistinctPayloads = 64;

inline const std::vector<std::vector<std::uint8_t>>& payloads() {
  static const auto* const all = [] {
    std::mt19937_64 rng(0x5eed5);
    auto* v = new std::vector<std::vector<std::uint8_t>>(kDistinctPayloads);
    for (auto& p : *v) {
      p.resize(kPayloadBytes);
      for (auto& b : p) b = static_cast<std::uint8_t>(' ' + rng() % 95);
    }
    return v;
  }();
  return *all;
}

}  // namespace spool::bench

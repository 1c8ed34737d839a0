// The standard span of ../shared/WORKLOAD.md (an LLM generation span), generated from a seeded
// PRNG before any timing starts, and its JSON line: the record every throughput and latency
// figure of spool and of its baselines is measured with, so figures can be put side by side.
//
// Memory: a span with its owned text takes ~1.2 KB, so 1,000,000 distinct spans would hold
// ~1.2 GB before the system under test allocates anything. Drivers therefore generate a pool
// of kPoolSize distinct spans and append cyclic(i) = pool[i % pool size]: every system gets
// the same bytes in the same order, and the pool (~5 MB) is still larger than the L2 cache,
// so appends do not read their input from an unrealistically hot cache. Ids repeat every
// kPoolSize spans; no system under test deduplicates or indexes by id, so that changes
// nothing it does.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "spool/records.h"

namespace spool::tools {

class StandardSpanSet {
 public:
  static constexpr std::uint64_t kDefaultSeed = 0x5eed5;
  // Distinct spans drivers cycle through (see the file comment).
  static constexpr std::size_t kPoolSize = 4096;

  // `count` distinct spans, the same for the same seed on every run and machine (the PRNG is
  // std::mt19937_64, whose output the standard fixes; no std distributions, whose output it
  // does not). Throws std::invalid_argument when count is 0.
  explicit StandardSpanSet(std::size_t count, std::uint64_t seed = kDefaultSeed);

  // Views into this set's storage: valid while it lives (moving the set keeps them valid).
  StandardSpanSet(StandardSpanSet&&) noexcept = default;
  StandardSpanSet& operator=(StandardSpanSet&&) noexcept = default;
  StandardSpanSet(const StandardSpanSet&) = delete;
  StandardSpanSet& operator=(const StandardSpanSet&) = delete;

  std::span<const Span> spans() const noexcept { return spans_; }
  std::size_t size() const noexcept { return spans_.size(); }
  // The i-th span of the endless stream that cycles through spans().
  const Span& cyclic(std::uint64_t i) const noexcept { return spans_[i % spans_.size()]; }

 private:
  // The text a span points into. Filled in place after the vector has its final size, so
  // no string moves (a move would relocate short strings' inline buffers) once viewed.
  struct Storage {
    std::string input;
    std::string output;
    std::string status_message;
    std::string request_id;
    Attribute attributes[4];
  };
  std::vector<Storage> storage_;
  std::vector<Span> spans_;
};

// The span as one JSON object (no newline), ~980 bytes for a standard span (WORKLOAD.md says
// "roughly 900"): ids as lowercase hex, type and status as names, attributes as an object,
// tool fields and events only when present. Every text baseline writes exactly these bytes.
std::string span_to_json(const Span& span);
// The same, appended to `out`: lets a producer reuse one buffer instead of allocating.
void append_span_json(std::string& out, const Span& span);

}  // namespace spool::tools

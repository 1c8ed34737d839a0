// Spans stamped by `spoolctl produce` with the attributes `producer` and `seq`, read back from
// a log: what the multi-process tests check order and completeness with.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace spool::testing {

struct StampedSpan {
  std::uint64_t offset = 0;
  std::string producer;
  std::int64_t seq = -1;
};

// Every span in the log at `dir` (opened read-only), in offset order; a record that is not a
// stamped span is returned with producer "" and seq -1.
std::vector<StampedSpan> read_stamped_spans(const std::string& dir);

// What the stamps say about the log.
struct StampCheck {
  bool offsets_gap_free = true;  // offsets are first, first+1, ... with no hole
  std::uint64_t unstamped = 0;   // records without both attributes
  // Per producer: how many spans, and whether they are exactly seq 0, 1, ..., n-1 in offset
  // order (a gap-free prefix of its sequence, no duplicates).
  std::map<std::string, std::uint64_t> count;
  std::vector<std::string> not_a_prefix;  // "<producer>: <what is wrong>"
};
StampCheck check_stamps(const std::vector<StampedSpan>& spans);

}  // namespace spool::testing

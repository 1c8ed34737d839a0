// Records that name their producer and sequence number, for tests that check what reached
// the log: nothing lost, nothing duplicated, per-producer order kept.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/produce/buffer_core.h"
#include "spool/buffer.h"
#include "spool/records.h"

namespace spool::testing {

struct SeqRecord {
  std::uint32_t producer = 0;
  std::uint64_t seq = 0;
  Priority priority = Priority::kNormal;
  friend bool operator==(const SeqRecord&, const SeqRecord&) = default;
};

// A RawRecord ("seq") whose data is producer, seq and `padding` filler bytes.
Status append_seq(Buffer& buffer, std::uint32_t producer, std::uint64_t seq, std::size_t padding = 0,
                  Priority priority = Priority::kNormal);
Status append_seq(engine::BufferCore& core, std::uint32_t producer, std::uint64_t seq,
                  std::size_t padding = 0, Priority priority = Priority::kNormal);

// Every "seq" record in the log at `dir`, in offset order (the log opened read-only).
std::vector<SeqRecord> read_seq_records(const std::string& dir);

}  // namespace spool::testing

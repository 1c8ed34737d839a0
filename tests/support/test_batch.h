// A ForwardBatch for sink and encoder tests, built from encoded records or raw bytes. Each
// payload is an 8-byte aligned copy owned by the TestBatch, as payloads are in the log, so
// the batch stays valid as long as the TestBatch does.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "spool/records.h"
#include "spool/sink.h"

namespace spool::testing {

class TestBatch {
 public:
  static constexpr std::int64_t kTimestampNs = 1'700'000'000'000'000'000;

  // `log_id` is what batch() puts in the batch; `timestamp_ns` is the timestamp of every
  // record added without one.
  explicit TestBatch(std::uint64_t log_id = 0, std::int64_t timestamp_ns = kTimestampNs)
      : log_id_(log_id), timestamp_ns_(timestamp_ns) {}

  void add_bytes(RecordKind kind, std::span<const std::uint8_t> bytes, std::uint64_t offset,
                 std::optional<std::int64_t> timestamp_ns = std::nullopt, Priority priority = Priority::kNormal);
  void add(const EncodedRecord& r, std::uint64_t offset, std::optional<std::int64_t> timestamp_ns = std::nullopt) {
    add_bytes(r.kind, r.bytes, offset, timestamp_ns);
  }
  void add(const EncodedRecord& r, std::uint64_t offset, Priority priority) {
    add_bytes(r.kind, r.bytes, offset, std::nullopt, priority);
  }

  // Every record added so far; first_offset and last_offset set when there is one.
  ForwardBatch batch(std::uint64_t log_id) const;
  ForwardBatch batch() const { return batch(log_id_); }

 private:
  std::uint64_t log_id_;
  std::int64_t timestamp_ns_;
  std::vector<std::vector<std::uint64_t>> storage_;
  std::vector<ForwardRecord> records_;
};

}  // namespace spool::testing

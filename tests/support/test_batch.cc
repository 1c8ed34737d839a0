#include "support/test_batch.h"

#include <cstring>

namespace spool::testing {

void TestBatch::add_bytes(RecordKind kind, std::span<const std::uint8_t> bytes, std::uint64_t offset,
                          std::optional<std::int64_t> timestamp_ns, Priority priority) {
  storage_.emplace_back((bytes.size() + 7) / 8 + 1);
  if (!bytes.empty()) std::memcpy(storage_.back().data(), bytes.data(), bytes.size());
  ForwardRecord fr;
  fr.offset = offset;
  fr.timestamp_ns = timestamp_ns.value_or(timestamp_ns_);
  fr.kind = kind;
  fr.priority = priority;
  fr.payload = {reinterpret_cast<const std::uint8_t*>(storage_.back().data()), bytes.size()};
  records_.push_back(fr);
}

ForwardBatch TestBatch::batch(std::uint64_t log_id) const {
  ForwardBatch b;
  b.log_id = log_id;
  b.records = records_;
  if (!records_.empty()) {
    b.first_offset = records_.front().offset;
    b.last_offset = records_.back().offset;
  }
  return b;
}

}  // namespace spool::testing

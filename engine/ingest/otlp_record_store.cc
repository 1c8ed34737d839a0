#include "engine/ingest/otlp_record_store.h"

#include <cstring>

namespace spool::engine {

namespace {
// Memory a request may leave behind for the next one; an odd huge request gives the rest back.
constexpr std::size_t kRetainedArenaWords = (std::size_t{16} << 20) / 8;
constexpr std::size_t kRetainedBuilderBytes = std::size_t{1} << 20;
}  // namespace

flatbuffers::FlatBufferBuilder& OtlpRecordStore::begin_record() {
  if (builder_.GetSize() > kRetainedBuilderBytes) {
    builder_.Reset();  // frees the buffer
  } else {
    builder_.Clear();
  }
  // FlatBuffers aligns a buffer's start only to the widest scalar written; 8 up front (the
  // buffer is empty, so no padding) makes every record's start 8-byte aligned.
  builder_.Align(8);
  return builder_;
}

bool OtlpRecordStore::keep_finished(RecordKind kind, Priority priority) {
  const std::size_t bytes = builder_.GetSize();
  const std::size_t word = arena_.size();
  if (bytes > budget_bytes_ || 8 * word > budget_bytes_ - bytes) return false;
  arena_.resize(word + (bytes + 7) / 8);
  std::memcpy(arena_.data() + word, builder_.GetBufferPointer(), bytes);
  kept_.push_back(Kept{kind, priority, word, bytes});
  return true;
}

void OtlpRecordStore::reject(std::string_view item, std::string_view items, std::uint64_t index,
                             std::string_view reason) {
  if (rejected_++ == 0) {
    item_.assign(item);
    items_.assign(items);
    first_reason_.assign(item);
    first_reason_ += ' ';
    first_reason_ += std::to_string(index);
    first_reason_ += ": ";
    first_reason_ += reason;
  }
}

void OtlpRecordStore::seal() {
  records_.clear();
  records_.reserve(kept_.size());
  const auto* base = reinterpret_cast<const std::uint8_t*>(arena_.data());
  for (const Kept& k : kept_) {
    records_.push_back(EncodedRecord{k.kind, k.priority, {base + 8 * k.word, k.bytes}});
  }
  message_.clear();
  if (rejected_ != 0) {
    // "2 spans rejected: span 3: trace_id is 5 bytes, want 16"
    message_ = std::to_string(rejected_) + ' ';
    if (rejected_ == 1) {
        message_ += item_;
    } else {
      message_ += items_;
    }
    message_ += " rejected: ";
    message_ += first_reason_;
  }
}

void OtlpRecordStore::clear() {
  if (arena_.capacity() > kRetainedArenaWords) std::vector<std::uint64_t>().swap(arena_);
  arena_.clear();
  kept_.clear();
  records_.clear();
  budget_bytes_ = SIZE_MAX;
  rejected_ = 0;
  item_.clear();
  items_.clear();
  first_reason_.clear();
  message_.clear();
}

}  // namespace spool::engine

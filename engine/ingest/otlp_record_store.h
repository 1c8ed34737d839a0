// OtlpRecordStore: where the records of one decoded OTLP request are built and kept. One
// FlatBufferBuilder builds each record in turn; keep() copies the finished table into an
// arena of 8-byte words (so every record starts 8-byte aligned, as readers of records.fbs
// tables require) and the arena, the builder and the lists keep their memory across requests.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <flatbuffers/flatbuffers.h>

#include "spool/records.h"

namespace spool::engine {

class OtlpRecordStore {
 public:
  OtlpRecordStore() : builder_(1024) {}

  // The builder, cleared for the next record.
  flatbuffers::FlatBufferBuilder& begin_record();
  flatbuffers::FlatBufferBuilder& builder() noexcept { return builder_; }

  // Finishes the builder's buffer with `root` as the record and keeps a copy of it. False
  // when the records kept so far pass the budget (see set_budget): the caller stops.
  template <typename Table>
  [[nodiscard]] bool keep(RecordKind kind, Priority priority, flatbuffers::Offset<Table> root) {
    builder_.Finish(root);
    return keep_finished(kind, priority);
  }

  // Every record repeats its Resource and scope, so a small request with a large resource
  // and many tiny items could decode to far more bytes than it has: the budget bounds the
  // bytes kept per request (cleared by clear()).
  void set_budget(std::size_t bytes) noexcept { budget_bytes_ = bytes; }
  std::size_t budget() const noexcept { return budget_bytes_; }

  // An item that is not stored. The first reason goes into the message; `index` counts the
  // items of the request from 0, in the order they came.
  void reject(std::string_view item, std::string_view items, std::uint64_t index, std::string_view reason);

  // After the last item: makes records() and rejection_message() valid.
  void seal();
  void clear();

  std::span<const EncodedRecord> records() const noexcept { return records_; }
  std::uint64_t rejected() const noexcept { return rejected_; }
  const std::string& rejection_message() const noexcept { return message_; }

 private:
  bool keep_finished(RecordKind kind, Priority priority);

  struct Kept {
    RecordKind kind;
    Priority priority;
    std::size_t word;   // where it starts in arena_
    std::size_t bytes;
  };

  flatbuffers::FlatBufferBuilder builder_;
  std::vector<std::uint64_t> arena_;
  std::vector<Kept> kept_;
  std::vector<EncodedRecord> records_;
  std::size_t budget_bytes_ = SIZE_MAX;
  std::uint64_t rejected_ = 0;
  std::string item_;          // "span": the noun of the first rejection
  std::string items_;         // "spans": the noun of the first rejection, plural
  std::string first_reason_;  // "span 3: trace_id is 5 bytes, want 16"
  std::string message_;
};

}  // namespace spool::engine

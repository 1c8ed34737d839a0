// The per-record deduplication key every sink sends, "<16 hex digits of the log id>-<decimal
// offset>" (spool::idempotency_key(), spool/sink.h), formatted into a stack buffer: no
// allocation per record.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace spool::engine {

class IdempotencyKeyText {
 public:
  IdempotencyKeyText(std::uint64_t log_id, std::uint64_t offset) noexcept;
  std::string_view view() const noexcept { return {chars_.data(), size_}; }

 private:
  std::array<char, 16 + 1 + 20> chars_;
  std::size_t size_ = 0;
};

}  // namespace spool::engine

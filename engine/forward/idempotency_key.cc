// idempotency_key(): the per-record deduplication key every sink sends (see spool/sink.h).
#include "engine/forward/idempotency_key.h"

#include <string>

#include "io/hex.h"
#include "spool/sink.h"

namespace spool {

namespace engine {

IdempotencyKeyText::IdempotencyKeyText(std::uint64_t log_id, std::uint64_t offset) noexcept {
  io::write_hex_u64(log_id, chars_.data());
  chars_[16] = '-';
  char digits[20];
  std::size_t n = 0;
  do {
    digits[n++] = static_cast<char>('0' + offset % 10);
    offset /= 10;
  } while (offset != 0);
  for (std::size_t i = 0; i < n; ++i) chars_[17 + i] = digits[n - 1 - i];
  size_ = 17 + n;
}

}  // namespace engine

std::string idempotency_key(std::uint64_t log_id, std::uint64_t offset) {
  return std::string(engine::IdempotencyKeyText(log_id, offset).view());
}

}  // namespace spool

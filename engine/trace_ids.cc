// TraceId / SpanId (records.h): validity and hex text.
#include <string>

#include "spool/records.h"

namespace spool {

namespace {

template <std::size_t N>
bool any_nonzero(const std::array<std::uint8_t, N>& bytes) noexcept {
  std::uint8_t acc = 0;
  for (std::uint8_t b : bytes) acc |= b;
  return acc != 0;
}

template <std::size_t N>
std::string lower_hex(const std::array<std::uint8_t, N>& bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(2 * N, '0');
  for (std::size_t i = 0; i < N; ++i) {
    out[2 * i] = kDigits[bytes[i] >> 4];
    out[2 * i + 1] = kDigits[bytes[i] & 0xf];
  }
  return out;
}

}  // namespace

bool TraceId::valid() const noexcept { return any_nonzero(bytes); }
std::string TraceId::hex() const { return lower_hex(bytes); }
bool SpanId::valid() const noexcept { return any_nonzero(bytes); }
std::string SpanId::hex() const { return lower_hex(bytes); }

}  // namespace spool

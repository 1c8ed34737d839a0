// traceparent text <-> SpanContext (W3C Trace Context, version 00).
#include "spool/trace_context.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

namespace spool {

namespace {

// version "-" trace-id "-" parent-id "-" trace-flags
constexpr std::size_t kVersion00Length = 2 + 1 + 32 + 1 + 16 + 1 + 2;

// Lowercase hex digit value, or -1. Uppercase is invalid in traceparent.
int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// Decodes 2 * out.size() hex digits; false on anything but lowercase hex.
template <std::size_t N>
bool parse_hex(std::string_view text, std::array<std::uint8_t, N>& out) noexcept {
  for (std::size_t i = 0; i < N; ++i) {
    const int hi = hex_value(text[2 * i]);
    const int lo = hex_value(text[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
  return true;
}

Status invalid(std::string_view header, std::string_view why) {
  std::string m = "invalid traceparent \"";
  // Quote at most what a valid header could hold; the rest is noise in an error message.
  m.append(header.substr(0, kVersion00Length + 8));
  if (header.size() > kVersion00Length + 8) m += "...";
  m += "\": ";
  m += why;
  return Status::invalid_argument(std::move(m));
}

}  // namespace

std::string traceparent(const SpanContext& context) {
  std::string out;
  out.reserve(kVersion00Length);
  out += "00-";
  out += context.trace_id.hex();
  out += '-';
  out += context.span_id.hex();
  out += context.sampled ? "-01" : "-00";
  return out;
}

Result<SpanContext> parse_traceparent(std::string_view header) {
  if (header.size() < kVersion00Length) return invalid(header, "shorter than 55 characters");
  std::array<std::uint8_t, 1> version{};
  if (!parse_hex(header.substr(0, 2), version)) {
    return invalid(header, "version is not two lowercase hex digits");
  }
  if (version[0] == 0xff) return invalid(header, "version ff is forbidden");
  if (version[0] == 0x00 && header.size() != kVersion00Length) {
    return invalid(header, "version 00 must be exactly 55 characters");
  }
  if (header.size() > kVersion00Length && header[kVersion00Length] != '-') {
    return invalid(header, "fields after the trace flags must follow a '-'");
  }
  if (header[2] != '-' || header[35] != '-' || header[52] != '-') {
    return invalid(header, "expected version-traceid-parentid-flags separated by '-'");
  }
  SpanContext context;
  if (!parse_hex(header.substr(3, 32), context.trace_id.bytes)) {
    return invalid(header, "trace id is not 32 lowercase hex digits");
  }
  if (!context.trace_id.valid()) return invalid(header, "trace id is all zeros");
  if (!parse_hex(header.substr(36, 16), context.span_id.bytes)) {
    return invalid(header, "parent id is not 16 lowercase hex digits");
  }
  if (!context.span_id.valid()) return invalid(header, "parent id is all zeros");
  std::array<std::uint8_t, 1> flags{};
  if (!parse_hex(header.substr(53, 2), flags)) {
    return invalid(header, "trace flags are not two lowercase hex digits");
  }
  context.sampled = (flags[0] & 0x01) != 0;
  return context;
}

}  // namespace spool

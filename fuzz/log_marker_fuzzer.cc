// The log marker (segment/log_marker.h): DIR/SPOOL_LOG is read from disk on every open and
// decides whether a directory is a spool log at all, so any bytes must decode to a marker or
// to a Corruption error, never crash; and what decodes must survive an encode/decode round
// trip unchanged.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "segment/log_marker.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using spool::segment::LogMarker;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto decoded = LogMarker::decode(text);
  if (!decoded) return 0;
  auto again = LogMarker::decode(decoded->encode());
  if (!again) std::abort();
  const LogMarker& a = *decoded;
  const LogMarker& b = *again;
  if (a.log_id != b.log_id || a.created_unix_ms != b.created_unix_ms ||
      a.segment_bytes != b.segment_bytes || a.retention_bytes != b.retention_bytes ||
      a.retention_max_age_ms != b.retention_max_age_ms || a.file_mode != b.file_mode ||
      a.dir_mode != b.dir_mode) {
    std::abort();
  }
  return 0;
}

// Where to cut text to at most N bytes without splitting a UTF-8 sequence: stored error text
// (dead letters, a sink's last error) is bounded, and a cut inside a multi-byte character
// would leave invalid UTF-8 in JSON output.
#pragma once

#include <cstddef>
#include <string_view>

namespace spool::engine {

// How many bytes of `text` to keep: all of it when it fits in max_bytes, else the largest
// count <= max_bytes that does not end inside a multi-byte character (the byte after the cut
// is not a continuation byte, 10xxxxxx).
inline std::size_t utf8_cut(std::string_view text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return text.size();
  std::size_t cut = max_bytes;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return cut;
}

}  // namespace spool::engine

// decode_content_encoding: undoes an HTTP request body's Content-Encoding (RFC 9110 §8.4), the
// receiving side of HttpContentEncoder (engine/sinks/otlp/http_content_encoding.h).
//
//   ""/"identity" -> the bytes as they are; "gzip" (RFC 1952, zlib; concatenated members
//   too); "zstd" (RFC 8878, streaming, so a frame that does not state its content size works).
//
// The output is bounded: decompression stops as soon as it would pass max_out (a small body
// can expand a thousandfold: decompression bombs), reporting kTooLarge (HTTP 413).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace spool::engine {

struct BodyDecodeResult {
  enum class Kind : std::uint8_t {
    kOk,
    kUnsupported,  // an encoding this decoder does not know (HTTP 415); message names it
    kCorrupt,      // not valid data of its encoding (HTTP 400)
    kTooLarge,     // decoded, it would be larger than max_out (HTTP 413)
  } kind = Kind::kOk;
  std::string message;
};

// Replaces *out with the decoded body. Encoding names are matched case-insensitively.
BodyDecodeResult decode_content_encoding(std::string_view encoding, std::span<const std::uint8_t> in,
                                         std::size_t max_out, std::string* out);

}  // namespace spool::engine

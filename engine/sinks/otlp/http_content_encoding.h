// HttpContentEncoder: compresses request bodies for an HTTP Content-Encoding (RFC 9110 §8.4):
// "gzip" (zlib deflate with the gzip wrapper, RFC 1952) or "zstd" (RFC 8878), or none.
// One encoder per sink: it keeps its compression context and output buffer across requests,
// so compressing allocates nothing once the buffer has grown to the working size.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "spool/status.h"

struct ZSTD_CCtx_s;
struct z_stream_s;

namespace spool::engine {

enum class ContentCoding : std::uint8_t { kNone, kGzip, kZstd };

class HttpContentEncoder {
 public:
  // Levels: gzip 0-9 (0 stores), zstd ZSTD_minCLevel()..ZSTD_maxCLevel(); none ignores it.
  static Result<std::unique_ptr<HttpContentEncoder>> create(ContentCoding coding, int level);
  ~HttpContentEncoder();
  HttpContentEncoder(const HttpContentEncoder&) = delete;
  HttpContentEncoder& operator=(const HttpContentEncoder&) = delete;

  // The Content-Encoding header value ("gzip", "zstd"), empty for none.
  std::string_view content_encoding() const noexcept;
  ContentCoding coding() const noexcept { return coding_; }

  // The body as it goes on the wire: `body` itself for none, else the compressed bytes in this
  // encoder's buffer (valid until the next encode()).
  Result<std::string_view> encode(std::string_view body);

 private:
  HttpContentEncoder(ContentCoding coding, int level);
  Result<std::string_view> gzip(std::string_view body);
  Result<std::string_view> zstd(std::string_view body);

  ContentCoding coding_;
  int level_;
  ZSTD_CCtx_s* zstd_ = nullptr;
  std::unique_ptr<z_stream_s> zlib_;
  std::string out_;
};

}  // namespace spool::engine

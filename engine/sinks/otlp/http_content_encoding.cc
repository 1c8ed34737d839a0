// HttpContentEncoder: gzip via zlib, zstd via libzstd (see http_content_encoding.h).
#include "engine/sinks/otlp/http_content_encoding.h"

#include <zlib.h>
#include <zstd.h>

#include <limits>

namespace spool::engine {

Result<std::unique_ptr<HttpContentEncoder>> HttpContentEncoder::create(ContentCoding coding, int level) {
  std::unique_ptr<HttpContentEncoder> e(new HttpContentEncoder(coding, level));
  switch (coding) {
    case ContentCoding::kNone:
      break;
    case ContentCoding::kGzip: {
      if (level < 0 || level > 9) {
        return Status::invalid_argument("gzip compression level " + std::to_string(level) +
                                        " is outside 0..9");
      }
      e->zlib_ = std::make_unique<z_stream>();
      // windowBits 15 + 16: the largest window, with a gzip header and trailer instead of
      // zlib's (HTTP's "gzip" coding); memLevel 8 is zlib's default.
      if (deflateInit2(e->zlib_.get(), level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        e->zlib_.reset();
        return Status::unavailable("zlib deflateInit2 failed (out of memory?)");
      }
      break;
    }
    case ContentCoding::kZstd: {
      if (level < ZSTD_minCLevel() || level > ZSTD_maxCLevel()) {
        return Status::invalid_argument("zstd compression level " + std::to_string(level) +
                                        " is outside " + std::to_string(ZSTD_minCLevel()) + ".." +
                                        std::to_string(ZSTD_maxCLevel()));
      }
      e->zstd_ = ZSTD_createCCtx();
      if (e->zstd_ == nullptr) return Status::unavailable("ZSTD_createCCtx failed (out of memory?)");
      break;
    }
  }
  return e;
}

HttpContentEncoder::HttpContentEncoder(ContentCoding coding, int level) : coding_(coding), level_(level) {}

HttpContentEncoder::~HttpContentEncoder() {
  if (zstd_ != nullptr) ZSTD_freeCCtx(zstd_);
  if (zlib_ != nullptr) deflateEnd(zlib_.get());
}

std::string_view HttpContentEncoder::content_encoding() const noexcept {
  switch (coding_) {
    case ContentCoding::kGzip:
      return "gzip";
    case ContentCoding::kZstd:
      return "zstd";
    case ContentCoding::kNone:
      break;
  }
  return {};
}

Result<std::string_view> HttpContentEncoder::encode(std::string_view body) {
  switch (coding_) {
    case ContentCoding::kGzip:
      return gzip(body);
    case ContentCoding::kZstd:
      return zstd(body);
    case ContentCoding::kNone:
      break;
  }
  return body;
}

Result<std::string_view> HttpContentEncoder::gzip(std::string_view body) {
  // zlib counts in uInt (32 bits); request bodies are far below that, but say so if not.
  if (body.size() > std::numeric_limits<uInt>::max() / 2) {
    return Status::invalid_argument("request body of " + std::to_string(body.size()) +
                                    " bytes is too large for gzip");
  }
  z_stream& z = *zlib_;
  if (deflateReset(&z) != Z_OK) return Status::io_error("zlib deflateReset failed");
  // deflateBound (with this stream's gzip wrapper) is enough for one Z_FINISH call.
  out_.resize(deflateBound(&z, static_cast<uLong>(body.size())));
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(body.data()));
  z.avail_in = static_cast<uInt>(body.size());
  z.next_out = reinterpret_cast<Bytef*>(out_.data());
  z.avail_out = static_cast<uInt>(out_.size());
  const int rc = deflate(&z, Z_FINISH);
  if (rc != Z_STREAM_END) {
    return Status::io_error("zlib deflate failed: " +
                            (z.msg != nullptr ? std::string(z.msg) : "rc " + std::to_string(rc)));
  }
  return std::string_view(out_.data(), out_.size() - z.avail_out);
}

Result<std::string_view> HttpContentEncoder::zstd(std::string_view body) {
  out_.resize(ZSTD_compressBound(body.size()));
  const std::size_t n = ZSTD_compressCCtx(zstd_, out_.data(), out_.size(), body.data(), body.size(), level_);
  if (ZSTD_isError(n)) return Status::io_error(std::string("zstd compression failed: ") + ZSTD_getErrorName(n));
  return std::string_view(out_.data(), n);
}

}  // namespace spool::engine

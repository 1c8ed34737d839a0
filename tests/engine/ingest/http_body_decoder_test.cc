// decode_content_encoding: gzip and zstd bodies (written by the sink's own HttpContentEncoder
// and by zlib / libzstd directly) decode to what was compressed; the output bound stops
// decompression bombs; unknown encodings and corrupt or truncated data are told apart.
#include "engine/ingest/http_body_decoder.h"

#include <gtest/gtest.h>
#include <zlib.h>
#include <zstd.h>

#include <string>

#include "engine/sinks/otlp/http_content_encoding.h"

namespace spool::engine {
namespace {

using Kind = BodyDecodeResult::Kind;

std::span<const std::uint8_t> bytes_of(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

std::string sample(std::size_t n) {
  std::string s;
  s.reserve(n);
  std::uint32_t x = 12345;
  for (std::size_t i = 0; i < n; ++i) {
    x = x * 1103515245u + 12345u;
    s.push_back(static_cast<char>('a' + (x >> 16) % 7));  // compressible, not trivially
  }
  return s;
}

std::string compressed(ContentCoding coding, std::string_view body) {
  auto encoder = HttpContentEncoder::create(coding, coding == ContentCoding::kGzip ? 6 : 3);
  EXPECT_TRUE(encoder.is_ok());
  auto encoded = (*encoder)->encode(body);
  EXPECT_TRUE(encoded.is_ok());
  return std::string(*encoded);
}

// A zstd frame that does not state its content size (as streaming compressors write them).
std::string zstd_without_content_size(std::string_view body) {
  ZSTD_CCtx* ctx = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(ctx, ZSTD_c_contentSizeFlag, 0);
  std::string out(ZSTD_compressBound(body.size()), '\0');
  const std::size_t n = ZSTD_compress2(ctx, out.data(), out.size(), body.data(), body.size());
  ZSTD_freeCCtx(ctx);
  EXPECT_FALSE(ZSTD_isError(n));
  out.resize(n);
  EXPECT_EQ(ZSTD_getFrameContentSize(out.data(), out.size()), ZSTD_CONTENTSIZE_UNKNOWN);
  return out;
}

TEST(HttpBodyDecoderTest, IdentityCopies) {
  std::string out = "stale";
  for (std::string_view encoding : {"", "identity", "IDENTITY", " identity "}) {
    const BodyDecodeResult r = decode_content_encoding(encoding, bytes_of("abc"), 10, &out);
    EXPECT_EQ(r.kind, Kind::kOk) << encoding;
    EXPECT_EQ(out, "abc");
  }
  EXPECT_EQ(decode_content_encoding("", bytes_of("abcd"), 3, &out).kind, Kind::kTooLarge);
}

TEST(HttpBodyDecoderTest, GzipAndZstdRoundTrip) {
  for (std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{1000}, std::size_t{300'000}}) {
    const std::string body = sample(size);
    std::string out;
    BodyDecodeResult r = decode_content_encoding("gzip", bytes_of(compressed(ContentCoding::kGzip, body)), size, &out);
    EXPECT_EQ(r.kind, Kind::kOk) << r.message;
    EXPECT_EQ(out, body);
    r = decode_content_encoding("zstd", bytes_of(compressed(ContentCoding::kZstd, body)), size, &out);
    EXPECT_EQ(r.kind, Kind::kOk) << r.message;
    EXPECT_EQ(out, body);
    r = decode_content_encoding("Zstd", bytes_of(zstd_without_content_size(body)), size + 10, &out);
    EXPECT_EQ(r.kind, Kind::kOk) << r.message;
    EXPECT_EQ(out, body);
  }
}

TEST(HttpBodyDecoderTest, ConcatenatedMembersAndFrames) {
  const std::string a = sample(500);
  const std::string b = sample(700);
  std::string out;
  const std::string gz = compressed(ContentCoding::kGzip, a) + compressed(ContentCoding::kGzip, b);
  ASSERT_EQ(decode_content_encoding("gzip", bytes_of(gz), 10'000, &out).kind, Kind::kOk);
  EXPECT_EQ(out, a + b);
  const std::string zs = compressed(ContentCoding::kZstd, a) + zstd_without_content_size(b);
  ASSERT_EQ(decode_content_encoding("zstd", bytes_of(zs), 10'000, &out).kind, Kind::kOk);
  EXPECT_EQ(out, a + b);
}

TEST(HttpBodyDecoderTest, BombsStopAtTheLimit) {
  const std::string zeros(8 << 20, '\0');  // 8 MiB compresses to a few KiB
  for (ContentCoding coding : {ContentCoding::kGzip, ContentCoding::kZstd}) {
    const std::string body = compressed(coding, zeros);
    ASSERT_LT(body.size(), std::size_t{64} << 10);
    const char* name = coding == ContentCoding::kGzip ? "gzip" : "zstd";
    std::string out;
    const BodyDecodeResult r = decode_content_encoding(name, bytes_of(body), 1 << 20, &out);
    EXPECT_EQ(r.kind, Kind::kTooLarge) << name;
    EXPECT_NE(r.message.find("1048576"), std::string::npos) << r.message;
    // Decoding stopped near the limit instead of inflating all of it.
    EXPECT_LE(out.capacity(), std::size_t{2} << 20) << name;
    // Exactly at the limit is fine.
    EXPECT_EQ(decode_content_encoding(name, bytes_of(body), zeros.size(), &out).kind, Kind::kOk) << name;
    EXPECT_EQ(out.size(), zeros.size());
    EXPECT_EQ(decode_content_encoding(name, bytes_of(body), zeros.size() - 1, &out).kind, Kind::kTooLarge) << name;
  }
  const std::string unsized = zstd_without_content_size(zeros);
  std::string out;
  EXPECT_EQ(decode_content_encoding("zstd", bytes_of(unsized), 1 << 20, &out).kind, Kind::kTooLarge);
}

TEST(HttpBodyDecoderTest, UnsupportedEncodingIsNamed) {
  std::string out;
  for (std::string_view encoding : {"br", "deflate", "gzip, zstd", "compress"}) {
    const BodyDecodeResult r = decode_content_encoding(encoding, bytes_of("x"), 100, &out);
    EXPECT_EQ(r.kind, Kind::kUnsupported) << encoding;
    EXPECT_NE(r.message.find(encoding), std::string::npos) << r.message;
  }
}

TEST(HttpBodyDecoderTest, CorruptAndTruncatedInput) {
  const std::string body = sample(5000);
  const std::string gz = compressed(ContentCoding::kGzip, body);
  const std::string zs = compressed(ContentCoding::kZstd, body);
  std::string out;
  struct Case {
    const char* encoding;
    std::string data;
  };
  std::string flipped = gz;
  flipped[gz.size() / 2] = static_cast<char>(flipped[gz.size() / 2] ^ 0x55);
  const Case cases[] = {
      {"gzip", "not gzip at all"},
      {"gzip", gz.substr(0, gz.size() / 2)},
      {"gzip", gz.substr(0, gz.size() - 1)},  // the trailer cut short
      {"gzip", gz + "trailing garbage"},
      {"gzip", flipped},
      {"gzip", ""},
      {"zstd", "not zstd at all"},
      {"zstd", zs.substr(0, zs.size() / 2)},
      {"zstd", zs.substr(0, zs.size() - 1)},
      {"zstd", ""},
  };
  for (const Case& c : cases) {
    const BodyDecodeResult r = decode_content_encoding(c.encoding, bytes_of(c.data), 1 << 20, &out);
    EXPECT_EQ(r.kind, Kind::kCorrupt) << c.encoding << " " << c.data.size() << " bytes: " << r.message;
    EXPECT_FALSE(r.message.empty());
  }
}

}  // namespace
}  // namespace spool::engine

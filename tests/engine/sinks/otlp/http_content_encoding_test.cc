// HttpContentEncoder: gzip and zstd bodies decode with zlib and libzstd back to the input,
// across reuse of one encoder; none passes the body through; bad levels are refused.
#include "engine/sinks/otlp/http_content_encoding.h"

#include <gtest/gtest.h>
#include <zlib.h>
#include <zstd.h>

#include <random>
#include <string>

namespace spool::engine {
namespace {

std::string gunzip(std::string_view in) {
  z_stream z{};
  EXPECT_EQ(inflateInit2(&z, 15 + 16), Z_OK);  // gzip wrapper only
  std::string out;
  char buf[16384];
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  int rc = Z_OK;
  do {
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof buf;
    rc = inflate(&z, Z_NO_FLUSH);
    EXPECT_TRUE(rc == Z_OK || rc == Z_STREAM_END) << rc;
    out.append(buf, sizeof buf - z.avail_out);
  } while (rc == Z_OK);
  EXPECT_EQ(z.avail_in, 0u);
  inflateEnd(&z);
  return out;
}

std::string unzstd(std::string_view in) {
  const unsigned long long size = ZSTD_getFrameContentSize(in.data(), in.size());
  EXPECT_NE(size, ZSTD_CONTENTSIZE_ERROR);
  EXPECT_NE(size, ZSTD_CONTENTSIZE_UNKNOWN);
  std::string out(size, '\0');
  const std::size_t n = ZSTD_decompress(out.data(), out.size(), in.data(), in.size());
  EXPECT_FALSE(ZSTD_isError(n));
  out.resize(n);
  return out;
}

std::vector<std::string> bodies() {
  std::mt19937_64 rng(7);
  std::string random(200'000, '\0');
  for (char& c : random) c = static_cast<char>(rng());
  std::string text;
  while (text.size() < 300'000) text += "span llm-call model gpt-4 tokens 128 ";
  return {"", "x", text, random, text.substr(0, 1000)};
}

TEST(HttpContentEncoder, GzipRoundTripsAcrossReuse) {
  auto e = HttpContentEncoder::create(ContentCoding::kGzip, 6);
  ASSERT_TRUE(e.is_ok()) << e.status().to_string();
  EXPECT_EQ((*e)->content_encoding(), "gzip");
  for (const std::string& body : bodies()) {
    auto wire = (*e)->encode(body);
    ASSERT_TRUE(wire.is_ok());
    ASSERT_GE(wire->size(), 2u);
    EXPECT_EQ(static_cast<unsigned char>((*wire)[0]), 0x1f);  // gzip magic
    EXPECT_EQ(static_cast<unsigned char>((*wire)[1]), 0x8b);
    EXPECT_EQ(gunzip(*wire), body);
  }
}

TEST(HttpContentEncoder, ZstdRoundTripsAcrossReuse) {
  for (int level : {1, 3, 19, -5}) {
    auto e = HttpContentEncoder::create(ContentCoding::kZstd, level);
    ASSERT_TRUE(e.is_ok()) << e.status().to_string();
    EXPECT_EQ((*e)->content_encoding(), "zstd");
    for (const std::string& body : bodies()) {
      auto wire = (*e)->encode(body);
      ASSERT_TRUE(wire.is_ok());
      EXPECT_EQ(unzstd(*wire), body) << level;
    }
  }
}

TEST(HttpContentEncoder, CompressesText) {
  std::string text;
  while (text.size() < 100'000) text += "span llm-call model gpt-4 tokens 128 ";
  for (ContentCoding c : {ContentCoding::kGzip, ContentCoding::kZstd}) {
    auto e = HttpContentEncoder::create(c, 1);
    ASSERT_TRUE(e.is_ok());
    auto wire = (*e)->encode(text);
    ASSERT_TRUE(wire.is_ok());
    EXPECT_LT(wire->size(), text.size() / 10);
  }
}

TEST(HttpContentEncoder, NonePassesTheBodyThrough) {
  auto e = HttpContentEncoder::create(ContentCoding::kNone, 0);
  ASSERT_TRUE(e.is_ok());
  EXPECT_EQ((*e)->content_encoding(), "");
  const std::string body = "abc";
  auto wire = (*e)->encode(body);
  ASSERT_TRUE(wire.is_ok());
  EXPECT_EQ(wire->data(), body.data());  // no copy
  EXPECT_EQ(wire->size(), 3u);
}

TEST(HttpContentEncoder, RefusesBadLevels) {
  EXPECT_EQ(HttpContentEncoder::create(ContentCoding::kGzip, 10).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(HttpContentEncoder::create(ContentCoding::kGzip, -2).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(HttpContentEncoder::create(ContentCoding::kZstd, ZSTD_maxCLevel() + 1).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_TRUE(HttpContentEncoder::create(ContentCoding::kGzip, 0).is_ok());
}

}  // namespace
}  // namespace spool::engine

#include "engine/sinks/base64.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace spool::engine {
namespace {

// RFC 4648 section 10 test vectors.
struct Vector {
  const char* plain;
  const char* encoded;
};
constexpr Vector kRfc4648[] = {
    {"", ""},
    {"f", "Zg=="},
    {"fo", "Zm8="},
    {"foo", "Zm9v"},
    {"foob", "Zm9vYg=="},
    {"fooba", "Zm9vYmE="},
    {"foobar", "Zm9vYmFy"},
};

TEST(Base64, EncodesRfc4648Vectors) {
  for (const Vector& v : kRfc4648) EXPECT_EQ(base64_encode(std::string_view(v.plain)), v.encoded);
}

TEST(Base64, AppendsAfterWhatIsThere) {
  std::string out = "x:";
  const std::string foob = "foob";
  append_base64(out, reinterpret_cast<const std::uint8_t*>(foob.data()), foob.size());
  EXPECT_EQ(out, "x:Zm9vYg==");
  append_base64(out, nullptr, 0);
  EXPECT_EQ(out, "x:Zm9vYg==");
}

TEST(Base64, DecodesRfc4648Vectors) {
  for (const Vector& v : kRfc4648) {
    auto decoded = base64_decode(v.encoded);
    ASSERT_TRUE(decoded.has_value()) << v.encoded;
    EXPECT_EQ(*decoded, v.plain);
  }
}

TEST(Base64, UsesStandardAlphabetWithPlusAndSlash) {
  const std::string bytes("\xfb\xff\xbf", 3);
  EXPECT_EQ(base64_encode(bytes), "+/+/");
  EXPECT_EQ(base64_decode("+/+/"), bytes);
}

TEST(Base64, EncodesEveryByteValue) {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  const std::string encoded = base64_encode(all);
  EXPECT_EQ(encoded.size(), (all.size() + 2) / 3 * 4);
  EXPECT_EQ(encoded.substr(0, 8), "AAECAwQF");
  EXPECT_EQ(base64_decode(encoded), all);
}

TEST(Base64, RoundTripsRandomBytesOfEveryLengthUpTo300) {
  std::mt19937 rng(12345);
  for (std::size_t len = 0; len <= 300; ++len) {
    std::string bytes(len, '\0');
    for (char& c : bytes) c = static_cast<char>(rng() & 0xFF);
    const std::string encoded = base64_encode(bytes);
    ASSERT_EQ(encoded.size() % 4, 0u);
    auto decoded = base64_decode(encoded);
    ASSERT_TRUE(decoded.has_value()) << "length " << len;
    EXPECT_EQ(*decoded, bytes) << "length " << len;
  }
}

TEST(Base64, SpanAndStringViewOverloadsAgree) {
  const std::string s("hello\0world", 11);
  const std::span<const std::uint8_t> span(reinterpret_cast<const std::uint8_t*>(s.data()),
                                           s.size());
  EXPECT_EQ(base64_encode(span), base64_encode(std::string_view(s)));
}

TEST(Base64, RejectsMalformedInput) {
  const char* bad[] = {
      "Zg",        // missing padding
      "Zg=",       // length not a multiple of 4
      "Z===",      // too much padding
      "====",      // padding only
      "Zg==Zg==",  // padding in the middle
      "Zm9v\n",    // whitespace
      "Zm 9",      // space
      "Zm9-",      // URL-safe alphabet is not the standard one
      "Zm9_",
      "Zh==",  // non-zero unused bits: not the canonical encoding of "f"
      "Zm9=",  // non-zero unused bits: not the canonical encoding of "fo"
      "Zm=v",  // '=' before a symbol
  };
  for (const char* text : bad) EXPECT_FALSE(base64_decode(text).has_value()) << text;
}

}  // namespace
}  // namespace spool::engine

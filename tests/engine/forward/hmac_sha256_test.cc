// HmacSha256: RFC 4231's test vectors, the same digits on every use of one key, the text form.
#include "engine/forward/hmac_sha256.h"

#include <gtest/gtest.h>

namespace spool::engine {
namespace {

std::string hmac(std::string_view key, std::string_view data) {
  auto h = HmacSha256::create(key);
  EXPECT_TRUE(h.is_ok()) << h.status().to_string();
  std::string out;
  EXPECT_TRUE(h->text(data, &out));
  return out;
}

TEST(HmacSha256, Rfc4231Vectors) {
  EXPECT_EQ(hmac(std::string(20, '\x0b'), "Hi There"),
            "hmac-sha256:b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  EXPECT_EQ(hmac("Jefe", "what do ya want for nothing?"),
            "hmac-sha256:5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // A key longer than SHA-256's block is hashed first.
  EXPECT_EQ(
      hmac(std::string(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First"),
      "hmac-sha256:60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST(HmacSha256, OneKeyGivesTheSameDigitsEveryTime) {
  auto h = HmacSha256::create("Jefe");
  ASSERT_TRUE(h.is_ok());
  std::string first, other, again;
  ASSERT_TRUE(h->text(std::string_view("what do ya want for nothing?"), &first));
  ASSERT_TRUE(h->text(std::string_view("something else"), &other));
  ASSERT_TRUE(h->text(std::string_view("what do ya want for nothing?"), &again));
  EXPECT_EQ(first, again);
  EXPECT_NE(first, other);
  EXPECT_EQ(first.size(), HmacSha256::kTextBytes);
  // A moved hasher keeps its key.
  HmacSha256 moved = std::move(*h);
  ASSERT_TRUE(moved.text(std::string_view("what do ya want for nothing?"), &again));
  EXPECT_EQ(first, again);
}

TEST(HmacSha256, AnotherKeyGivesOtherDigits) {
  EXPECT_NE(hmac("key-one-key-one!", "prompt"), hmac("key-two-key-two!", "prompt"));
  EXPECT_EQ(hmac("key-one-key-one!", ""), hmac("key-one-key-one!", ""));
}

TEST(HmacSha256, AnEmptyKeyIsRefused) {
  auto h = HmacSha256::create("");
  ASSERT_FALSE(h.is_ok());
  EXPECT_EQ(h.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace spool::engine

// io/hex.h: lowercase hex of bytes and of 64-bit values, leading zeros kept, written in place
// without a terminating NUL.
#include "io/hex.h"

#include <array>
#include <cstdint>
#include <string>

#include <gtest/gtest.h>

namespace spool::io {
namespace {

TEST(Hex, BytesFirstByteFirstLowercase) {
  const std::array<std::uint8_t, 5> bytes{0x00, 0x0f, 0xa0, 0xff, 0x42};
  EXPECT_EQ(hex(bytes), "000fa0ff42");
  EXPECT_EQ(hex(std::span<const std::uint8_t>{}), "");
}

TEST(Hex, U64IsSixteenDigitsMostSignificantFirst) {
  EXPECT_EQ(hex_u64(0), "0000000000000000");
  EXPECT_EQ(hex_u64(0x0123456789abcdefULL), "0123456789abcdef");
  EXPECT_EQ(hex_u64(~0ULL), "ffffffffffffffff");
  EXPECT_EQ(hex_u64(0xab), "00000000000000ab");
}

TEST(Hex, WritesInPlaceWithoutTouchingTheNextByte) {
  std::array<char, 18> out;
  out.fill('#');
  write_hex_u64(0xfeedULL, out.data());
  EXPECT_EQ(std::string(out.data(), 16), "000000000000feed");
  EXPECT_EQ(out[16], '#');
  const std::array<std::uint8_t, 2> bytes{0xbe, 0xef};
  write_hex(bytes.data(), bytes.size(), out.data());
  EXPECT_EQ(std::string(out.data(), 5), "beef0");
}

}  // namespace
}  // namespace spool::io

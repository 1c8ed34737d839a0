// io/little_endian.h: the byte order of every format spool defines, at any alignment.
#include "io/little_endian.h"

#include <array>
#include <cstdint>

#include <gtest/gtest.h>

namespace spool::io {
namespace {

TEST(LittleEndian, StoresLeastSignificantByteFirst) {
  std::array<std::uint8_t, 8> b{};
  store_u16(b.data(), 0x0102);
  EXPECT_EQ(b[0], 0x02);
  EXPECT_EQ(b[1], 0x01);
  store_u32(b.data(), 0x01020304u);
  EXPECT_EQ(b, (std::array<std::uint8_t, 8>{0x04, 0x03, 0x02, 0x01, 0, 0, 0, 0}));
  store_u64(b.data(), 0x0102030405060708ULL);
  EXPECT_EQ(b, (std::array<std::uint8_t, 8>{0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01}));
}

TEST(LittleEndian, RoundTripsAtEveryAlignment) {
  std::array<std::uint8_t, 16> b{};
  for (std::size_t at = 0; at < 8; ++at) {
    store_u16(b.data() + at, 0xbeef);
    EXPECT_EQ(load_u16(b.data() + at), 0xbeef);
    store_u32(b.data() + at, 0xdeadbeefu);
    EXPECT_EQ(load_u32(b.data() + at), 0xdeadbeefu);
    store_u64(b.data() + at, 0x0123456789abcdefULL);
    EXPECT_EQ(load_u64(b.data() + at), 0x0123456789abcdefULL);
  }
}

}  // namespace
}  // namespace spool::io

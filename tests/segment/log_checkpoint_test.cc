// segment/log_checkpoint.h: the 64-byte recovery checkpoint.
#include "segment/log_checkpoint.h"
#include "segment/segment_header.h"

#include <xxhash.h>

#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "io/file.h"
#include "io/little_endian.h"
#include "segment/frame_format.h"
#include "support/temp_dir.h"

namespace spool::segment {
namespace {

LogCheckpoint sample(bool clean) {
  LogCheckpoint c;
  c.log_id = 0xA5A5A5A5DEADBEEFull;
  c.recovery_point = 1'000'000;
  c.next_offset = 1'234'567;
  c.active_data_end = 65'536 + 8;
  c.boot = 0x0123456789ABCDEFull;
  c.clean = clean;
  return c;
}

std::vector<std::uint8_t> encoded(const LogCheckpoint& c) {
  std::vector<std::uint8_t> out(LogCheckpoint::kBytes);
  c.encode(out.data());
  return out;
}

std::optional<LogCheckpoint> decode_exact(const std::vector<std::uint8_t>& b) {
  std::vector<std::uint8_t> copy = b;  // exact size: ASan sees any read past it
  return LogCheckpoint::decode(copy.data(), copy.size());
}

void expect_equal(const LogCheckpoint& a, const LogCheckpoint& b) {
  EXPECT_EQ(a.log_id, b.log_id);
  EXPECT_EQ(a.recovery_point, b.recovery_point);
  EXPECT_EQ(a.next_offset, b.next_offset);
  EXPECT_EQ(a.active_data_end, b.active_data_end);
  EXPECT_EQ(a.boot, b.boot);
  EXPECT_EQ(a.clean, b.clean);
}

void reseal(std::vector<std::uint8_t>* b) { io::store_u64(b->data() + 56, XXH3_64bits(b->data(), 56)); }

TEST(LogCheckpoint, RoundTripsCleanAndUnclean) {
  for (bool clean : {true, false}) {
    const LogCheckpoint c = sample(clean);
    const auto back = decode_exact(encoded(c));
    ASSERT_TRUE(back.has_value()) << clean;
    expect_equal(*back, c);
  }
}

TEST(LogCheckpoint, RoundTripsExtremeValues) {
  LogCheckpoint c;
  const auto max = std::numeric_limits<std::uint64_t>::max();
  c.log_id = max;
  c.recovery_point = kOffsetLimit - 1;
  c.next_offset = kOffsetLimit;  // every offset handed out
  c.active_data_end = max;
  c.clean = true;
  auto back = decode_exact(encoded(c));
  ASSERT_TRUE(back.has_value());
  expect_equal(*back, c);

  // Offsets beyond the offset space are not a checkpoint spool wrote.
  LogCheckpoint bad = c;
  bad.next_offset = kOffsetLimit + 1;
  EXPECT_FALSE(decode_exact(encoded(bad)).has_value());
  bad = c;
  bad.recovery_point = kOffsetLimit;
  EXPECT_FALSE(decode_exact(encoded(bad)).has_value());

  back = decode_exact(encoded(LogCheckpoint{}));
  ASSERT_TRUE(back.has_value());
  expect_equal(*back, LogCheckpoint{});
}

TEST(LogCheckpoint, LayoutMatchesTheDocumentedBytes) {
  const LogCheckpoint c = sample(true);
  const std::vector<std::uint8_t> b = encoded(c);
  ASSERT_EQ(b.size(), 64u);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(b.data()), 8), "SPOOLCKP");
  EXPECT_EQ(io::load_u32(b.data() + 8), 1u);
  EXPECT_EQ(io::load_u32(b.data() + 12), 1u);
  EXPECT_EQ(io::load_u64(b.data() + 16), c.log_id);
  EXPECT_EQ(io::load_u64(b.data() + 24), c.recovery_point);
  EXPECT_EQ(io::load_u64(b.data() + 32), c.next_offset);
  EXPECT_EQ(io::load_u64(b.data() + 40), c.active_data_end);
  EXPECT_EQ(io::load_u64(b.data() + 48), c.boot);
  EXPECT_EQ(io::load_u64(b.data() + 56), XXH3_64bits(b.data(), 56));
  EXPECT_EQ(io::load_u32(encoded(sample(false)).data() + 12), 0u);
}

TEST(LogCheckpoint, EncodeOverwritesTheWholeBuffer) {
  std::vector<std::uint8_t> b(LogCheckpoint::kBytes, 0x77);
  sample(false).encode(b.data());
  EXPECT_EQ(b, encoded(sample(false)));
}

TEST(LogCheckpoint, EverySingleByteFlipIsRejected) {
  const std::vector<std::uint8_t> good = encoded(sample(true));
  for (std::size_t i = 0; i < good.size(); ++i) {
    for (std::uint8_t mask : {0x01, 0x80, 0xFF}) {
      std::vector<std::uint8_t> bad = good;
      bad[i] ^= mask;
      EXPECT_FALSE(decode_exact(bad).has_value()) << "byte " << i << " ^ " << int{mask};
    }
  }
}

TEST(LogCheckpoint, WrongLengthIsRejected) {
  std::vector<std::uint8_t> b = encoded(sample(true));
  for (std::size_t len : {0u, 1u, 56u, 63u}) {
    std::vector<std::uint8_t> shorter(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(len));
    EXPECT_FALSE(decode_exact(shorter).has_value()) << len;
  }
  b.push_back(0);
  EXPECT_FALSE(decode_exact(b).has_value());
}

TEST(LogCheckpoint, AllZeroIsRejected) {
  EXPECT_FALSE(decode_exact(std::vector<std::uint8_t>(64, 0)).has_value());
}

TEST(LogCheckpoint, OtherVersionIsRejectedEvenWithValidChecksum) {
  std::vector<std::uint8_t> b = encoded(sample(true));
  io::store_u32(b.data() + 8, 2);
  reseal(&b);
  EXPECT_FALSE(decode_exact(b).has_value());
}

TEST(LogCheckpoint, OnlyFlagBitZeroMeansClean) {
  std::vector<std::uint8_t> b = encoded(sample(false));
  io::store_u32(b.data() + 12, 2);  // an unknown flag, not "clean"
  reseal(&b);
  auto back = decode_exact(b);
  ASSERT_TRUE(back.has_value());
  EXPECT_FALSE(back->clean);
  io::store_u32(b.data() + 12, 3);
  reseal(&b);
  back = decode_exact(b);
  ASSERT_TRUE(back.has_value());
  EXPECT_TRUE(back->clean);
}

TEST(LogCheckpoint, SurvivesAnAtomicWriteAndRead) {
  spool::testing::TempDir dir;
  const LogCheckpoint c = sample(true);
  std::uint8_t bytes[LogCheckpoint::kBytes];
  c.encode(bytes);
  ASSERT_EQ(io::write_file_atomically(dir.path(), LogCheckpoint::kFileName, bytes, sizeof bytes), 0);
  std::string read;
  ASSERT_EQ(io::read_small_file(dir.sub(LogCheckpoint::kFileName), &read, 4096), 0);
  const auto back =
      LogCheckpoint::decode(reinterpret_cast<const std::uint8_t*>(read.data()), read.size());
  ASSERT_TRUE(back.has_value());
  expect_equal(*back, c);
}

}  // namespace
}  // namespace spool::segment

namespace spool::segment {
namespace {

TEST(LogCheckpoint, CurrentBootIsStableWithinABoot) {
  const std::uint64_t boot = LogCheckpoint::current_boot();
  EXPECT_EQ(boot, LogCheckpoint::current_boot());
  // Linux has /proc/sys/kernel/random/boot_id; 0 would mean "unknown".
  EXPECT_NE(boot, 0u);
}

}  // namespace
}  // namespace spool::segment

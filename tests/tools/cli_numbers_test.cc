// tools/cli_numbers: decimal integers and byte sizes as the command line and the agent's
// config file take them.
#include "tools/cli_numbers.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <optional>

namespace spool::tools {
namespace {

TEST(CliNumbers, DecimalIntegersOnly) {
  EXPECT_EQ(parse_decimal_u64("0"), 0u);
  EXPECT_EQ(parse_decimal_u64("18446744073709551615"), std::numeric_limits<std::uint64_t>::max());
  EXPECT_EQ(parse_decimal_u64("18446744073709551616"), std::nullopt);  // overflow
  for (const char* bad : {"", "-1", "+1", " 1", "1 ", "0x10", "1e3", "1.5"}) {
    EXPECT_EQ(parse_decimal_u64(bad), std::nullopt) << bad;
  }
}

TEST(CliNumbers, ByteSizesWithBinaryUnits) {
  EXPECT_EQ(parse_byte_size("1048576"), 1048576u);
  EXPECT_EQ(parse_byte_size("7B"), 7u);
  EXPECT_EQ(parse_byte_size("64K"), 64u << 10);
  EXPECT_EQ(parse_byte_size("64kib"), 64u << 10);
  EXPECT_EQ(parse_byte_size("1M"), 1u << 20);
  EXPECT_EQ(parse_byte_size("1MiB"), 1u << 20);
  EXPECT_EQ(parse_byte_size("2g"), 2ull << 30);
  EXPECT_EQ(parse_byte_size("2GiB"), 2ull << 30);
}

// A link's "1 MB/s" means 10^6 bytes: kB, MB and GB are powers of 1000.
TEST(CliNumbers, ByteSizesWithSiUnits) {
  EXPECT_EQ(parse_byte_size("1MB"), 1'000'000u);
  EXPECT_EQ(parse_byte_size("1mb"), 1'000'000u);
  EXPECT_EQ(parse_byte_size("500kB"), 500'000u);
  EXPECT_EQ(parse_byte_size("3GB"), 3'000'000'000u);
}

TEST(CliNumbers, ByteSizesRefuseWhatTheyDoNotKnow) {
  for (const char* bad : {"", "MB", "1 MB", "1TB", "1.5M", "-1", "1Mb/s", "fast", "1MiBs"}) {
    EXPECT_EQ(parse_byte_size(bad), std::nullopt) << bad;
  }
  EXPECT_EQ(parse_byte_size("17179869184G"), std::nullopt);  // 2^34 GiB: past 2^64
  EXPECT_EQ(parse_byte_size("18446744073709551615"), std::numeric_limits<std::uint64_t>::max());
  EXPECT_EQ(parse_byte_size("18446744073709552GB"), std::nullopt);
}

}  // namespace
}  // namespace spool::tools

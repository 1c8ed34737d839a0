#include "tools/time_text.h"

#include <gtest/gtest.h>

namespace spool::tools {
namespace {

TEST(TimeText, Iso8601UtcWithMilliseconds) {
  EXPECT_EQ(iso8601_utc(1'795'377'819'056'396'184), "2026-11-22T20:03:39.056Z");
  EXPECT_EQ(iso8601_utc(1), "1970-01-01T00:00:00.000Z");
}

TEST(TimeText, ZeroAndNegativeAreUnknown) {
  EXPECT_EQ(iso8601_utc(0), "");
  EXPECT_EQ(iso8601_utc(-5), "");
}

TEST(TimeText, HexIdIsSixteenLowercaseDigits) {
  EXPECT_EQ(hex_id(0xc0ffee), "0000000000c0ffee");
  EXPECT_EQ(hex_id(~0ull), "ffffffffffffffff");
}

}  // namespace
}  // namespace spool::tools

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

TEST(TimeText, ParsesNanosTimePrefixAndIso8601Utc) {
  auto parsed = [](std::string_view text) {
    auto t = parse_time_text(text, "--from-time");
    EXPECT_TRUE(t) << text << ": " << t.status().to_string();
    return t ? *t : -1;
  };
  EXPECT_EQ(parsed("1795377819056396184"), 1'795'377'819'056'396'184);
  EXPECT_EQ(parsed("time:1795377819056396184"), 1'795'377'819'056'396'184);
  EXPECT_EQ(parsed("0"), 0);
  EXPECT_EQ(parsed("2026-11-22T20:03:39.056Z"), 1'795'377'819'056'000'000);
  EXPECT_EQ(parsed("time:2026-11-22T20:03:39.056Z"), 1'795'377'819'056'000'000);
  EXPECT_EQ(parsed("2026-11-22T20:03:39.056396184Z"), 1'795'377'819'056'396'184);
  EXPECT_EQ(parsed("2026-11-22T20:03:39Z"), 1'795'377'819'000'000'000);
  EXPECT_EQ(parsed("2026-11-22T20:03Z"), 1'795'377'780'000'000'000);
  EXPECT_EQ(parsed("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(parsed("2024-02-29T00:00:00.5Z"), 1'709'164'800'500'000'000);
  // What iso8601_utc prints reads back to the same millisecond.
  EXPECT_EQ(parsed(iso8601_utc(1'795'377'819'056'396'184)), 1'795'377'819'056'000'000);
}

TEST(TimeText, RefusesWhatIsNotATimeNamingTheFlag) {
  for (const char* bad :
       {"", "soon", "-5", "time:", "9223372036854775808", "2026-11-22T20:03:39.056",
        "2026-11-22 20:03:39Z", "2026-02-30T00:00:00Z", "2026-11-22T24:00:00Z",
        "2026-11-22T20:03:39.Z", "2026-11-22T20:03:39.0563961840Z", "1969-12-31T23:59:59Z",
        "2300-01-01T00:00:00Z", "2026-11-22T20:03:39.056Z trailing"}) {
    auto t = parse_time_text(bad, "--until-time");
    ASSERT_FALSE(t) << bad;
    EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(t.status().message().find("--until-time"), std::string::npos) << t.status().message();
  }
}

}  // namespace
}  // namespace spool::tools

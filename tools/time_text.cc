#include "tools/time_text.h"

#include <time.h>

#include <cstdio>
#include <limits>
#include <optional>

#include "tools/cli_numbers.h"

namespace spool::tools {

namespace {

// `digits` decimal digits at `*pos` (advanced past them); nullopt when they are not there.
std::optional<int> take_digits(std::string_view text, std::size_t* pos, std::size_t digits) {
  if (*pos + digits > text.size()) return std::nullopt;
  int value = 0;
  for (std::size_t i = 0; i < digits; ++i) {
    const char c = text[*pos + i];
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  *pos += digits;
  return value;
}

bool take_char(std::string_view text, std::size_t* pos, char c) {
  if (*pos >= text.size() || text[*pos] != c) return false;
  ++*pos;
  return true;
}

// YYYY-MM-DDTHH:MM[:SS[.fffffffff]]Z, a real date of 1970 or later that fits in int64 ns.
std::optional<std::int64_t> parse_iso8601_utc(std::string_view text) {
  std::size_t pos = 0;
  struct tm tm {};
  const auto year = take_digits(text, &pos, 4);
  if (!year || !take_char(text, &pos, '-')) return std::nullopt;
  const auto month = take_digits(text, &pos, 2);
  if (!month || !take_char(text, &pos, '-')) return std::nullopt;
  const auto day = take_digits(text, &pos, 2);
  if (!day || !take_char(text, &pos, 'T')) return std::nullopt;
  const auto hour = take_digits(text, &pos, 2);
  if (!hour || !take_char(text, &pos, ':')) return std::nullopt;
  const auto minute = take_digits(text, &pos, 2);
  if (!minute) return std::nullopt;
  std::optional<int> second = 0;
  std::int64_t fraction_ns = 0;
  if (take_char(text, &pos, ':')) {
    second = take_digits(text, &pos, 2);
    if (!second) return std::nullopt;
    if (take_char(text, &pos, '.')) {
      std::int64_t scale = 100'000'000;
      std::size_t digits = 0;
      for (; pos < text.size() && text[pos] >= '0' && text[pos] <= '9';
           ++pos, ++digits, scale /= 10) {
        if (digits == 9) return std::nullopt;
        fraction_ns += (text[pos] - '0') * scale;
      }
      if (digits == 0) return std::nullopt;
    }
  }
  if (!take_char(text, &pos, 'Z') || pos != text.size()) return std::nullopt;
  tm.tm_year = *year - 1900;
  tm.tm_mon = *month - 1;
  tm.tm_mday = *day;
  tm.tm_hour = *hour;
  tm.tm_min = *minute;
  tm.tm_sec = *second;
  const struct tm given = tm;
  const time_t seconds = ::timegm(&tm);
  // timegm normalizes (Feb 30 becomes Mar 2): a date it had to change was not a real one.
  if (seconds < 0 || tm.tm_year != given.tm_year || tm.tm_mon != given.tm_mon ||
      tm.tm_mday != given.tm_mday || tm.tm_hour != given.tm_hour || tm.tm_min != given.tm_min ||
      tm.tm_sec != given.tm_sec) {
    return std::nullopt;
  }
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  if (seconds > (kMax - fraction_ns) / 1'000'000'000) return std::nullopt;
  return static_cast<std::int64_t>(seconds) * 1'000'000'000 + fraction_ns;
}

}  // namespace

Result<std::int64_t> parse_time_text(std::string_view text, std::string_view flag) {
  constexpr std::string_view kTimePrefix = "time:";
  const std::string_view value =
      text.starts_with(kTimePrefix) ? text.substr(kTimePrefix.size()) : text;
  if (const auto ns = parse_decimal_u64(value);
      ns && *ns <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    return static_cast<std::int64_t>(*ns);
  }
  if (const auto ns = parse_iso8601_utc(value)) return *ns;
  return Status::invalid_argument(
      std::string(flag) + " must be a time: ns since the Unix epoch (time:NANOS too) or UTC as " +
      "2026-11-22T20:03:39.056Z, got '" + std::string(text) + "'");
}

std::string hex_id(std::uint64_t id) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(id));
  return buf;
}

}  // namespace spool::tools

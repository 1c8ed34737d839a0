#include "tools/time_text.h"

#include <time.h>

#include <cstdio>

namespace spool::tools {

std::string iso8601_utc(std::int64_t ns) {
  if (ns <= 0) return {};
  const time_t secs = static_cast<time_t>(ns / 1'000'000'000);
  const int millis = static_cast<int>((ns % 1'000'000'000) / 1'000'000);
  struct tm tm;
  if (::gmtime_r(&secs, &tm) == nullptr) return {};
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
  return buf;
}

std::string hex_id(std::uint64_t id) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(id));
  return buf;
}

}  // namespace spool::tools

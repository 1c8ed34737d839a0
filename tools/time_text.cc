#include "tools/time_text.h"

#include <time.h>

#include <cstdio>

namespace spool::tools {

std::string hex_id(std::uint64_t id) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(id));
  return buf;
}

}  // namespace spool::tools

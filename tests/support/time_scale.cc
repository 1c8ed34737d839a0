#include "support/time_scale.h"

#include <cmath>
#include <cstdlib>

#ifndef SPOOL_TEST_BUILD_TIME_SCALE
#define SPOOL_TEST_BUILD_TIME_SCALE 1
#endif

namespace spool::testing {

double time_scale() {
  double factor = SPOOL_TEST_BUILD_TIME_SCALE;
  if (const char* env = std::getenv("SPOOL_TEST_TIME_SCALE"); env != nullptr && *env != '\0') {
    char* end = nullptr;
    const double from_env = std::strtod(env, &end);
    if (end != env && *end == '\0' && std::isfinite(from_env) && from_env > 0) factor *= from_env;
  }
  return factor;
}

std::chrono::milliseconds scaled(std::chrono::milliseconds limit) {
  if (limit.count() <= 0) return limit;
  const double ms = std::ceil(static_cast<double>(limit.count()) * time_scale());
  return std::chrono::milliseconds(ms < 1 ? 1 : static_cast<std::chrono::milliseconds::rep>(ms));
}

}  // namespace spool::testing

// idempotency_key(): the per-record deduplication key every sink sends (see spool/sink.h).
#include <cstdio>
#include <string>

#include "spool/sink.h"

namespace spool {

std::string idempotency_key(std::uint64_t log_id, std::uint64_t offset) {
  char buf[16 + 1 + 20 + 1];
  const int n = std::snprintf(buf, sizeof buf, "%016llx-%llu", static_cast<unsigned long long>(log_id),
                              static_cast<unsigned long long>(offset));
  return std::string(buf, static_cast<std::size_t>(n));
}

}  // namespace spool

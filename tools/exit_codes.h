// spoolctl's exit codes, shared by every command so scripts can rely on them.
#pragma once

#include <cstdio>
#include <string_view>

#include "spool/status.h"

namespace spool::tools {

inline constexpr int kExitOk = 0;
inline constexpr int kExitDamage = 1;  // verify: the log is readable but damaged
inline constexpr int kExitError = 2;   // bad arguments, missing directory, locked, I/O error

// "spoolctl <command>: <message>" on stderr; returns kExitError.
inline int report_error(std::string_view command, std::string_view message) {
  std::fprintf(stderr, "spoolctl %.*s: %.*s\n", static_cast<int>(command.size()), command.data(),
               static_cast<int>(message.size()), message.data());
  return kExitError;
}
inline int report_error(std::string_view command, const Status& status) {
  return report_error(command, status.message());
}

}  // namespace spool::tools

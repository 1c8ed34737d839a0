#include "capi/c_status.h"

#include <cstdlib>

namespace spool::capi {
namespace {
thread_local std::string t_last_error;
}  // namespace

spool_status report(spool_status code, const std::string& message) {
  if (code == SPOOL_OK) return SPOOL_OK;
  try {
    t_last_error = message;
  } catch (...) {
    t_last_error.clear();  // no memory for the message: the code still says what happened
  }
  return code;
}

spool_status report(const Status& status) {
  if (status.is_ok()) return SPOOL_OK;
  // spool_status follows StatusCode's numbering (static_asserts in c_api.cc).
  return report(static_cast<spool_status>(status.code()), status.to_string());
}

const char* last_error() noexcept { return t_last_error.c_str(); }

}  // namespace spool::capi

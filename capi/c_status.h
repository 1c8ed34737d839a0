// How the C API turns spool::Status (and exceptions) into spool_status codes and a message the
// caller can fetch with spool_last_error(): one place, so no call lets an exception cross the
// C boundary and every failure leaves its reason.
#pragma once

#include <exception>
#include <new>
#include <string>

#include "spool/spool.h"
#include "spool/status.h"

namespace spool::capi {

// Records `status` as the calling thread's last error and returns its code (SPOOL_OK for OK).
spool_status report(const Status& status);
spool_status report(spool_status code, const std::string& message);
// The calling thread's last message ("" when none).
const char* last_error() noexcept;
// An InvalidArgument naming what is wrong.
inline spool_status invalid(const std::string& message) { return report(SPOOL_INVALID_ARGUMENT, message); }

// Runs `body` (returning spool_status); an exception becomes SPOOL_INTERNAL with its message.
template <typename Body>
spool_status guarded(const char* call, Body&& body) noexcept {
  try {
    return body();
  } catch (const std::bad_alloc&) {
    return report(SPOOL_INTERNAL, std::string(call) + ": out of memory");
  } catch (const std::exception& e) {
    return report(SPOOL_INTERNAL, std::string(call) + ": " + e.what());
  } catch (...) {
    return report(SPOOL_INTERNAL, std::string(call) + ": unknown exception");
  }
}

}  // namespace spool::capi

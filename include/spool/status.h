// spool::Status and spool::Result<T>: errors as values on every hot and I/O path.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace spool {

enum class StatusCode : std::uint8_t {
  kOk = 0,
  kInvalidArgument,  // the caller passed something unusable (bad option, oversized record)
  kNotFound,         // a file, directory or offset that does not exist
  kLocked,           // another process holds the log directory
  kCorruption,       // bytes on disk are not what the format says
  kIoError,          // the OS refused (errno in the message)
  kNoSpace,          // ENOSPC / EDQUOT
  kUnavailable,      // a facility is missing here (io_uring disabled, ...)
  kClosed,           // the object was closed or shut down
  kFull,             // a bounded queue had no room and its policy dropped the record
  kTimedOut,         // a wait (blocking append, flush) ran out of time
  kForkChild,        // used in a child of fork(): the object belongs to the parent process
  kPermissionDenied, // a directory or file spool must not trust (another user's, too open)
};

inline std::string_view status_code_name(StatusCode code) noexcept {
  switch (code) {
    case StatusCode::kOk: return "OK";
    case StatusCode::kInvalidArgument: return "InvalidArgument";
    case StatusCode::kNotFound: return "NotFound";
    case StatusCode::kLocked: return "Locked";
    case StatusCode::kCorruption: return "Corruption";
    case StatusCode::kIoError: return "IoError";
    case StatusCode::kNoSpace: return "NoSpace";
    case StatusCode::kUnavailable: return "Unavailable";
    case StatusCode::kClosed: return "Closed";
    case StatusCode::kFull: return "Full";
    case StatusCode::kTimedOut: return "TimedOut";
    case StatusCode::kForkChild: return "ForkChild";
    case StatusCode::kPermissionDenied: return "PermissionDenied";
  }
  return "Unknown";
}

// A status is cheap when OK (no allocation) and carries a human-readable message otherwise.
class [[nodiscard]] Status {
 public:
  Status() noexcept = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status ok() noexcept { return Status(); }
  static Status invalid_argument(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
  static Status not_found(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
  static Status locked(std::string m) { return {StatusCode::kLocked, std::move(m)}; }
  static Status corruption(std::string m) { return {StatusCode::kCorruption, std::move(m)}; }
  static Status io_error(std::string m) { return {StatusCode::kIoError, std::move(m)}; }
  static Status no_space(std::string m) { return {StatusCode::kNoSpace, std::move(m)}; }
  static Status unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
  static Status closed(std::string m) { return {StatusCode::kClosed, std::move(m)}; }
  // Messages on the producer's drop path are short enough for the small-string buffer, so
  // a drop never allocates.
  static Status full(std::string m) { return {StatusCode::kFull, std::move(m)}; }
  static Status timed_out(std::string m) { return {StatusCode::kTimedOut, std::move(m)}; }
  static Status fork_child(std::string m) { return {StatusCode::kForkChild, std::move(m)}; }
  static Status permission_denied(std::string m) { return {StatusCode::kPermissionDenied, std::move(m)}; }

  bool is_ok() const noexcept { return code_ == StatusCode::kOk; }
  explicit operator bool() const noexcept { return is_ok(); }
  StatusCode code() const noexcept { return code_; }
  const std::string& message() const noexcept { return message_; }
  // "Corruption: frame checksum mismatch at ..." — for logs and CLI errors.
  std::string to_string() const {
    if (is_ok()) return "OK";
    return std::string(status_code_name(code_)) + ": " + message_;
  }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// Either a value or a non-OK status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {}  // NOLINT: must not be OK

  bool is_ok() const noexcept { return std::holds_alternative<T>(v_); }
  explicit operator bool() const noexcept { return is_ok(); }
  const Status& status() const noexcept {
    static const Status kOk;
    return is_ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace spool

// Propagate a non-OK Status from an expression.
#define SPOOL_RETURN_IF_ERROR(expr)            \
  do {                                         \
    ::spool::Status spool_status_ = (expr);    \
    if (!spool_status_.is_ok()) return spool_status_; \
  } while (0)

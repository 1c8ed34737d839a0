// The log marker: the file that makes a directory a spool log (<dir>/SPOOL_LOG).
//
// spool writes it when it creates a log (and when it adopts a log made before markers
// existed, see segment_directory.h), and recognises a log by it alone: a directory holding
// a file that happens to be called `checkpoint` is not a log. It also carries the settings
// tools need later without the application's options (spoolctl forward and cleanup apply the
// log's own retention; a reopen keeps its segment size and modes).
//
// Written atomically and durably (temp file SPOOL_LOG.tmp, fsync, rename, fsync dir) with the
// log's file mode. The writer rewrites it when it opens the log with other settings.
//
// Format: ASCII text, exactly these nine lines in this order, each ended by one "\n", nothing
// before or after (at most 512 bytes):
//
//   line  text                              field
//   1     spool-log 1                       magic and format version (decimal)
//   2     log_id <16 hex digits>            the log's id (segment headers, frame checksums); not 0
//   3     created_unix_ms <decimal>         wall-clock time the log was created
//   4     segment_bytes <decimal>           LogOptions::segment_bytes of the last writer
//   5     retention_bytes <decimal>         LogOptions::retention_bytes (0 = no size cap)
//   6     retention_max_age_ms <decimal>    LogOptions::retention_max_age_ms (0 = no age cap)
//   7     file_mode <4 octal digits>        mode of every file spool creates in the log
//   8     dir_mode <4 octal digits>         mode of every directory spool creates for the log
//   9     checksum <16 hex digits>          XXH3-64 of every byte of lines 1..8
//
// Hex digits are lowercase; a decimal has no sign and no leading zero (except "0" itself) and
// fits in 64 bits; modes are at most 0777. Anything else (a missing or extra line, a space too
// many, a wrong checksum) is not a marker: decode() says why.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "spool/options.h"
#include "spool/status.h"

namespace spool::segment {

struct LogMarker {
  static constexpr const char* kFileName = "SPOOL_LOG";
  static constexpr std::uint32_t kVersion = 1;
  static constexpr std::size_t kMaxBytes = 512;

  std::uint64_t log_id = 0;
  std::int64_t created_unix_ms = 0;
  std::uint64_t segment_bytes = 0;
  std::uint64_t retention_bytes = 0;
  std::uint64_t retention_max_age_ms = 0;
  mode_t file_mode = 0600;
  mode_t dir_mode = 0700;

  // A random, non-zero log id for a new log.
  static std::uint64_t new_log_id();
  // A marker for a log with `log_id` written with `options` (created now).
  static LogMarker for_log(std::uint64_t log_id, const LogOptions& options);

  std::string encode() const;
  // The marker in `text`, or Corruption saying which line is wrong.
  static Result<LogMarker> decode(std::string_view text);

  // The marker of `dir`: nullopt when there is none; Corruption naming the file when it is
  // not a valid marker; IoError when it cannot be read.
  static Result<std::optional<LogMarker>> read(const std::string& dir);
  // Writes it into `dir` atomically and durably, with file_mode.
  Status write(const std::string& dir) const;

  // True when the settings the marker records differ from `options`.
  bool settings_differ(const LogOptions& options) const;
  // Copies the recorded settings (segment size, retention, modes, log id) into `options`.
  void apply_to(LogOptions* options) const;
};

// The log's settings as its marker records them, on top of `defaults` (which stay as they
// are when the directory has no marker). For tools and Forwarder::open, which have no
// options of their own. Errors as LogMarker::read.
Result<LogOptions> log_options_from_marker(const std::string& dir, LogOptions defaults = {});

}  // namespace spool::segment

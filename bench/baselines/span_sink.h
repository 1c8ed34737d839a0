// The systems the end-to-end driver (bench/e2e_driver.cc) compares, behind one interface:
// spool itself and three ways applications buffer spans today. Each is set up the way its
// users set it up, not tuned against spool; where a choice had to be made, it is the one
// that favours the baseline (reused buffers, no secondary indexes, no fsync).
//
// Every text baseline writes span_to_json(span) (tools/standard_span.h): the same ~980-byte
// JSON line per span, so bytes on disk compare like with like.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "spool/buffer_options.h"
#include "spool/records.h"
#include "spool/status.h"

namespace spool::bench {

class SpanSink {
 public:
  virtual ~SpanSink() = default;  // stops background threads, closes files (untimed)

  // Called concurrently by any number of producer threads. False: the span was not taken
  // (dropped by a policy or failed); the driver counts it.
  virtual bool append(const Span& span) = 0;

  // Returns once every span appended before the call is in the file or log (in the page
  // cache: no system here syncs to the device).
  virtual Status flush_and_wait() = 0;

  // Spans the system itself counted as dropped (0 for systems that never drop).
  virtual std::uint64_t dropped() const { return 0; }
};

// Each factory creates its files in `dir`, an existing empty directory.

// spool::Buffer; the driver passes default options (durability none) unless told otherwise.
Result<std::unique_ptr<SpanSink>> open_spool_sink(const std::string& dir, const Options& options);
// spdlog async logger, one basic file sink, queue of 8192 messages, overflow policy block.
Result<std::unique_ptr<SpanSink>> open_spdlog_sink(const std::string& dir);
// SQLite in WAL mode, one INSERT per span, a transaction committed every 1000 rows.
Result<std::unique_ptr<SpanSink>> open_sqlite_sink(const std::string& dir);
// A mutex-protected vector of JSON lines that a background thread writes out.
Result<std::unique_ptr<SpanSink>> open_jsonl_sink(const std::string& dir);

}  // namespace spool::bench

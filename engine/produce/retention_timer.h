// Age retention on a timer, so that an idle log ages out too (retention otherwise runs only
// when a segment rotates, which an idle log never does).
//
// The writer thread (log_writer.cc) runs enforce_retention() on this schedule itself; a log
// opened without a writer (Forwarder::open, i.e. `spoolctl forward`) gets a RetentionTimer:
// one thread that does the same until it is destroyed.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

#include "segment/segment_log.h"

namespace spool::engine {

// How often age retention runs for a log whose age cap is max_age_ms: a tenth of the cap
// (so a record outlives it by at most ~10%), at least every 10 ms and at most every 60 s.
// 0 when there is no age cap (the size cap needs no timer: only appends grow the log).
std::int64_t age_retention_interval_ns(std::uint64_t max_age_ms) noexcept;

class RetentionTimer {
 public:
  // Starts the thread when `log` has an age cap. `log` is the only log this thread mutates,
  // and it must outlive the timer; nobody else may append to it (it has no writer).
  explicit RetentionTimer(segment::SegmentLog& log);
  ~RetentionTimer();
  RetentionTimer(const RetentionTimer&) = delete;
  RetentionTimer& operator=(const RetentionTimer&) = delete;

  // Passes run and segments deleted so far, and the last failure (OK when none).
  std::uint64_t passes() const;
  std::uint64_t segments_deleted() const;
  Status last_error() const;

 private:
  void run(std::int64_t interval_ns);

  segment::SegmentLog& log_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::uint64_t passes_ = 0;
  std::uint64_t deleted_ = 0;
  Status last_error_;
  std::thread thread_;
};

}  // namespace spool::engine

// A sink for the bandwidth budget's tests: it acknowledges every batch, reports a chosen
// number of wire bytes for it (FlushResult::bytes_sent: a fixed size per record, or the
// records' payload bytes) and remembers every send: when it began, its records and what it
// reported.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "spool/sink.h"

namespace spool::testing {

class CountingSink : public Sink {
 public:
  struct Send {
    std::chrono::steady_clock::time_point at;  // when send() was called
    std::uint64_t bytes = 0;                   // what it reported on the wire
    std::vector<std::uint64_t> offsets;
    bool all_critical = false;  // every record Priority::kCritical
  };

  // bytes_per_record 0: a send reports its records' payload bytes.
  explicit CountingSink(std::uint64_t bytes_per_record = 0) : bytes_per_record_(bytes_per_record) {}

  FlushResult send(const ForwardBatch& batch) override;
  std::string name() const override { return "counting"; }

  std::vector<Send> sends() const;
  std::uint64_t records_sent() const;

 private:
  const std::uint64_t bytes_per_record_;
  mutable std::mutex mu_;
  std::vector<Send> sends_;
};

// The sink to hand a Forwarder, and a view of it for the test (the Forwarder owns it).
struct CountingSinkHandle {
  CountingSink* view;
  std::unique_ptr<Sink> owned;
};
CountingSinkHandle make_counting_sink(std::uint64_t bytes_per_record = 0);

}  // namespace spool::testing

#include "support/counting_sink.h"

namespace spool::testing {

FlushResult CountingSink::send(const ForwardBatch& batch) {
  Send s;
  s.at = std::chrono::steady_clock::now();
  s.all_critical = true;
  for (const ForwardRecord& r : batch.records) {
    s.offsets.push_back(r.offset);
    s.bytes += bytes_per_record_ != 0 ? bytes_per_record_ : r.payload.size();
    s.all_critical = s.all_critical && r.priority == Priority::kCritical;
  }
  const std::uint64_t bytes = s.bytes;
  std::lock_guard<std::mutex> lock(mu_);
  sends_.push_back(std::move(s));
  return FlushResult::succeeded(bytes);
}

std::vector<CountingSink::Send> CountingSink::sends() const {
  std::lock_guard<std::mutex> lock(mu_);
  return sends_;
}

std::uint64_t CountingSink::records_sent() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::uint64_t n = 0;
  for (const Send& s : sends_) n += s.offsets.size();
  return n;
}

CountingSinkHandle make_counting_sink(std::uint64_t bytes_per_record) {
  auto sink = std::make_unique<CountingSink>(bytes_per_record);
  CountingSink* view = sink.get();
  return {view, std::move(sink)};
}

}  // namespace spool::testing

// Google Benchmark of the producer's push: engine::ProducerRing (a boost::lockfree::spsc_queue
// of bytes in private memory, today's ring) against engine::SharedRing (a ring file mapped
// MAP_SHARED, engine/produce/shared_ring.h), with 700-byte payloads (a standard span) behind
// each design's 16-byte header.
//
//   BM_Push/<design>/<capacity>     one thread; only pushes are timed: when the ring is full,
//                                   timing pauses, the ring is drained as the writer would
//                                   (SharedRing: drain + mark_written with a validator that
//                                   accepts everything; ProducerRing: pop under its mutex),
//                                   and timing resumes. Time is per push.
//   BM_PushDrain/<design>/<capacity>  the same with the drain timed too: the whole ring cost
//                                   per entry, producer and consumer.
//   BM_Pipeline/<design>/<capacity>  one producer thread pushing while a consumer thread
//                                   drains continuously; a push that finds the ring full
//                                   spins and retries (counted: full_waits per push).
//
// SharedRing files live in SPOOL_BENCH_DIR, default /dev/shm (a tmpfs), else the build's
// bench-data directory. Every ring is filled and drained once before timing, so first-touch
// page faults are not timed.
#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "bench/span_payloads.h"
#include "engine/produce/shared_ring.h"
#include "bench/queue_designs/spsc_byte_ring.h"
#include "io/file.h"

namespace {

using spool::engine::DrainedEntry;
using spool::engine::DrainLimits;
using spool::engine::EntryHeader;
using spool::engine::PopResult;
using spool::engine::ProducerRing;
using spool::engine::RingIdentity;
using spool::engine::SharedRing;

using spool::bench::kDistinctPayloads;
using spool::bench::payloads;

std::string bench_dir() {
  if (const char* d = std::getenv("SPOOL_BENCH_DIR")) return d;
  return "/dev/shm";
}

// Today's ring.
class PrivateDesign {
 public:
  static constexpr const char* kName = "ProducerRing";
  explicit PrivateDesign(std::size_t capacity) : ring_(capacity), arena_(1 << 20) {}
  bool push(std::span<const std::uint8_t> payload) noexcept {
    EntryHeader h;
    h.payload_bytes = static_cast<std::uint32_t>(payload.size());
    h.kind = 1;
    return ring_.try_push(h, payload);
  }
  std::size_t drain() {
    std::lock_guard<std::mutex> lock(ring_.consumer_mutex());
    std::size_t n = 0;
    EntryHeader h;
    while (ring_.pop(&h, arena_.data(), arena_.size()) == PopResult::kPopped) ++n;
    return n;
  }

 private:
  ProducerRing ring_;
  std::vector<std::uint8_t> arena_;
};

// The shared ring file.
class SharedDesign {
 public:
  static constexpr const char* kName = "SharedRing";
  explicit SharedDesign(std::size_t capacity) : out_(1 << 20) {
    path_ = bench_dir() + "/spool-shared-ring-bench-" + std::to_string(::getpid()) + "-" + std::to_string(++count_);
    RingIdentity id;
    id.ring_id = 1;
    spool::Result<SharedRing> made = SharedRing::create(path_, capacity, id);
    if (!made.is_ok()) {
      std::fprintf(stderr, "%s\n", made.status().to_string().c_str());
      std::abort();
    }
    producer_ = std::move(made).value();
    consumer_ = SharedRing::open_existing(path_, {0, {}, 1, spool::io::kPrivateFileMode}).value();
  }
  ~SharedDesign() { (void)spool::io::remove_path(path_); }
  bool push(std::span<const std::uint8_t> payload) noexcept { return producer_.try_push(1, 0, 0, payload); }
  std::size_t drain() {
    std::size_t n = 0;
    for (;;) {
      entries_.clear();
      const auto r = consumer_.drain(out_, &entries_, DrainLimits{}, accept_);
      if (entries_.empty()) return n;
      consumer_.mark_written(r.read_end, entries_.size());
      n += entries_.size();
    }
  }

 private:
  static inline int count_ = 0;
  std::string path_;
  SharedRing producer_;
  SharedRing consumer_;
  std::vector<std::uint8_t> out_;
  std::vector<DrainedEntry> entries_;
  spool::engine::EntryValidator accept_ = [](std::uint16_t, std::uint16_t, std::span<const std::uint8_t>) {
    return true;
  };
};

template <typename Design>
void prefault(Design& d) {
  const auto& p = payloads();
  for (std::size_t i = 0; d.push(p[i % kDistinctPayloads]); ++i) {
  }
  d.drain();
}

// Pushes; when the ring is full, drains it (timed only with `time_drain`) and pushes again.
template <typename Design>
void push_loop(benchmark::State& state, bool time_drain) {
  Design d(static_cast<std::size_t>(state.range(0)));
  prefault(d);
  const auto& p = payloads();
  std::size_t i = 0;
  for (auto _ : state) {
    if (!d.push(p[i++ % kDistinctPayloads])) {
      if (!time_drain) state.PauseTiming();
      d.drain();
      if (!time_drain) state.ResumeTiming();
      (void)d.push(p[i++ % kDistinctPayloads]);
    }
  }
  state.SetItemsProcessed(state.iterations());
}

template <typename Design>
void BM_Push(benchmark::State& state) {
  push_loop<Design>(state, false);
}

template <typename Design>
void BM_PushDrain(benchmark::State& state) {
  push_loop<Design>(state, true);
}

template <typename Design>
void BM_Pipeline(benchmark::State& state) {
  Design d(static_cast<std::size_t>(state.range(0)));
  prefault(d);
  const auto& p = payloads();
  std::atomic<bool> stop{false};
  std::thread consumer([&] {
    while (!stop.load(std::memory_order_relaxed)) {
      if (d.drain() == 0) std::this_thread::yield();
    }
  });
  std::size_t i = 0;
  std::uint64_t full_waits = 0;
  for (auto _ : state) {
    while (!d.push(p[i % kDistinctPayloads])) ++full_waits;
    ++i;
  }
  stop.store(true);
  consumer.join();
  state.SetItemsProcessed(state.iterations());
  state.counters["full_waits"] = benchmark::Counter(static_cast<double>(full_waits) / static_cast<double>(state.iterations()));
}

#define SPOOL_RING_BENCH(fn)                                                          \
  BENCHMARK_TEMPLATE(fn, PrivateDesign)->Name(#fn "/ProducerRing")->Arg(1 << 20)->Arg(16 << 20); \
  BENCHMARK_TEMPLATE(fn, SharedDesign)->Name(#fn "/SharedRing")->Arg(1 << 20)->Arg(16 << 20)

SPOOL_RING_BENCH(BM_Push);
SPOOL_RING_BENCH(BM_PushDrain);
BENCHMARK_TEMPLATE(BM_Pipeline, PrivateDesign)->Name("BM_Pipeline/ProducerRing")->Arg(1 << 20)->UseRealTime();
BENCHMARK_TEMPLATE(BM_Pipeline, SharedDesign)->Name("BM_Pipeline/SharedRing")->Arg(1 << 20)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();

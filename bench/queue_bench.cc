// Google Benchmark of the two producer-queue designs the engine could use, with 700-byte
// payloads (a standard span, ../shared/WORKLOAD.md) behind the 16-byte EntryHeader:
//
//   A  engine::ProducerRing (engine/produce/producer_ring.h): one boost::lockfree::spsc_queue<uint8_t>
//      byte ring per producer thread; the consumer pops each ring under its consumer mutex,
//      as LogWriter::drain does (the mutex taken once per ring visit, not per entry).
//   B  bench::SlabHandleQueue (bench/queue_designs/slab_handle_queue.h): one shared slab of
//      1 KiB slots, a boost::lockfree::stack of free slot handles and a shared
//      boost::lockfree::queue of filled ones (MPSC).
//
// Both consumers copy each payload into a 1 MiB arena, advancing and wrapping like the
// writer's batch (writer_batch_bytes, 1 MiB by default), so the consumer touches memory the
// way the writer does.
//
//   BM_PushPop/<design>/<capacity>/batch:N   one thread: N pushes, then pop all N (batch:1 is
//                                            push+pop pairs). Time is per entry (push + pop).
//   BM_Pipeline/<design>/<capacity>/threads:T  T producer threads (Google Benchmark threads)
//                                            push continuously while one consumer thread
//                                            drains; items/s is the producer side. A push
//                                            that finds the queue full yields and retries
//                                            (counted: full_waits per push). T = 2 puts three
//                                            busy threads on a 2-core machine: oversubscribed.
//
// Capacities: A gets <capacity> per producer ring (the engine's default producer_ring_bytes
// is 16 MiB), B a slab of <capacity> x producers, so both hold the same bytes in total.
// Every queue is filled and drained once before timing, so page faults are not timed.
#include <benchmark/benchmark.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "bench/queue_designs/slab_handle_queue.h"
#include "bench/queue_designs/spsc_byte_ring.h"
#include "bench/span_payloads.h"

namespace {

using spool::bench::SlabHandleQueue;
using spool::engine::EntryHeader;
using spool::engine::PopResult;
using spool::engine::ProducerRing;

using spool::bench::kDistinctPayloads;
using spool::bench::kPayloadBytes;
using spool::bench::payloads;
constexpr std::size_t kArenaBytes = std::size_t{1} << 20;

void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Where a consumer copies payloads: a writer-sized arena, advancing, wrapping when the next
// entry might not fit.
class Arena {
 public:
  Arena() : bytes_(kArenaBytes) {}
  std::uint8_t* at() noexcept { return bytes_.data() + used_; }
  std::size_t room() const noexcept { return bytes_.size() - used_; }
  void advance(std::size_t n) noexcept {
    used_ += n;
    if (room() < SlabHandleQueue::kSlotBytes) used_ = 0;
  }

 private:
  std::vector<std::uint8_t> bytes_;
  std::size_t used_ = 0;
};

// Design A: one ProducerRing per producer; drained ring by ring under the consumer mutex.
class RingDesign {
 public:
  static constexpr const char* kName = "A_spsc_ring";
  RingDesign(std::size_t capacity_bytes, int producers) {
    for (int i = 0; i < producers; ++i) rings_.push_back(std::make_unique<ProducerRing>(capacity_bytes));
  }
  bool push(int producer, const EntryHeader& header, std::span<const std::uint8_t> payload) noexcept {
    return rings_[static_cast<std::size_t>(producer)]->try_push(header, payload);
  }
  std::size_t drain(Arena& arena) {
    std::size_t n = 0;
    for (auto& ring : rings_) {
      std::lock_guard<std::mutex> lock(ring->consumer_mutex());
      for (;;) {
        EntryHeader header;
        if (ring->pop(&header, arena.at(), arena.room()) != PopResult::kPopped) break;
        arena.advance(header.payload_bytes);
        ++n;
      }
    }
    return n;
  }

 private:
  std::vector<std::unique_ptr<ProducerRing>> rings_;
};

// Design B: one slab shared by every producer.
class SlabDesign {
 public:
  static constexpr const char* kName = "B_slab_handles";
  SlabDesign(std::size_t capacity_bytes, int producers)
      : queue_(capacity_bytes * static_cast<std::size_t>(producers)) {}
  bool push(int, const EntryHeader& header, std::span<const std::uint8_t> payload) noexcept {
    return queue_.try_push(header, payload);
  }
  std::size_t drain(Arena& arena) {
    std::size_t n = 0;
    for (;;) {
      EntryHeader header;
      if (queue_.pop(&header, arena.at(), arena.room()) != PopResult::kPopped) break;
      arena.advance(header.payload_bytes);
      ++n;
    }
    return n;
  }

 private:
  SlabHandleQueue queue_;
};

EntryHeader header_for(std::uint64_t i) {
  return EntryHeader{static_cast<std::uint32_t>(kPayloadBytes), 1, 1, static_cast<std::int64_t>(i)};
}

// Fills every producer's share once and drains it, so the timed run pays no page faults.
template <typename Design>
void warm(Design& design, int producers) {
  Arena arena;
  const auto& p = payloads();
  for (int t = 0; t < producers; ++t) {
    for (std::uint64_t i = 0; design.push(t, header_for(i), p[i % p.size()]); ++i) {
    }
    design.drain(arena);
  }
}

template <typename Design>
void BM_PushPop(benchmark::State& state, std::size_t capacity, std::size_t batch) {
  Design design(capacity, 1);
  warm(design, 1);
  Arena arena;
  const auto& p = payloads();
  std::uint64_t i = 0;
  for (auto _ : state) {
    for (std::size_t k = 0; k < batch; ++k, ++i) {
      if (!design.push(0, header_for(i), p[i % p.size()])) {
        state.SkipWithError("queue full");
        return;
      }
    }
    if (design.drain(arena) != batch) {
      state.SkipWithError("lost an entry");
      return;
    }
  }
  const auto items = static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(batch);
  state.SetItemsProcessed(items);
  state.SetBytesProcessed(items * static_cast<std::int64_t>(kPayloadBytes));
}

// Shared by the producer threads of one BM_Pipeline run; set up and torn down by thread 0
// outside the timed loop (Google Benchmark holds every thread at a barrier before and after it).
template <typename Design>
struct Pipeline {
  static inline Design* design = nullptr;
  static inline std::thread consumer;
  static inline std::atomic<bool> stop{false};
  static inline std::atomic<std::uint64_t> consumed{0};
};

template <typename Design>
void BM_Pipeline(benchmark::State& state, std::size_t capacity) {
  using P = Pipeline<Design>;
  if (state.thread_index() == 0) {
    P::design = new Design(capacity, state.threads());
    warm(*P::design, state.threads());
    P::stop.store(false);
    P::consumed.store(0);
    P::consumer = std::thread([] {
      Arena arena;
      std::uint64_t n = 0;
      unsigned idle = 0;
      while (!P::stop.load(std::memory_order_relaxed)) {
        const std::size_t got = P::design->drain(arena);
        n += got;
        if (got != 0) {
          idle = 0;
        } else if (++idle < 64) {
          for (int k = 0; k < 32; ++k) cpu_relax();
        } else {
          std::this_thread::yield();  // let an oversubscribed producer run
        }
      }
      while (std::size_t got = P::design->drain(arena)) n += got;
      P::consumed.store(n);
    });
  }
  const int me = state.thread_index();
  const auto& p = payloads();
  Design* design = nullptr;
  std::uint64_t i = 0;
  std::uint64_t full_waits = 0;
  std::int64_t start = 0;
  for (auto _ : state) {
    if (design == nullptr) {  // after the start barrier: thread 0 has built it
      design = P::design;
      start = now_ns();
    }
    while (!design->push(me, header_for(i), p[i % p.size()])) {
      ++full_waits;
      std::this_thread::yield();
    }
    ++i;
  }
  const std::int64_t elapsed = now_ns() - start;
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * kPayloadBytes));
  // This producer's own wall time per push, averaged over the producers.
  state.counters["ns_per_push"] = benchmark::Counter(
      state.iterations() == 0 ? 0.0 : static_cast<double>(elapsed) / static_cast<double>(state.iterations()),
      benchmark::Counter::kAvgThreads);
  state.counters["full_waits"] = benchmark::Counter(
      static_cast<double>(full_waits), benchmark::Counter::kAvgIterations);
  if (state.thread_index() == 0) {
    P::stop.store(true);
    P::consumer.join();
    delete P::design;
    P::design = nullptr;
  }
}

// A and B of each case registered next to each other, so they run close together in time
// (this machine's timings drift).
template <typename Design>
void register_push_pop(std::size_t mib, std::size_t batch) {
  const std::string name = std::string("BM_PushPop/") + Design::kName + "/" + std::to_string(mib) +
                           "MiB/batch:" + std::to_string(batch);
  benchmark::RegisterBenchmark(name.c_str(), BM_PushPop<Design>, mib << 20, batch);
}
template <typename Design>
void register_pipeline(std::size_t mib) {
  const std::string name = std::string("BM_Pipeline/") + Design::kName + "/" + std::to_string(mib) + "MiB";
  benchmark::RegisterBenchmark(name.c_str(), BM_Pipeline<Design>, mib << 20)->Threads(1)->Threads(2)->UseRealTime();
}

void register_all() {
  for (std::size_t mib : {1, 16}) {
    for (std::size_t batch : {1, 64}) {
      register_push_pop<RingDesign>(mib, batch);
      register_push_pop<SlabDesign>(mib, batch);
    }
  }
  for (std::size_t mib : {1, 16}) {
    register_pipeline<RingDesign>(mib);
    register_pipeline<SlabDesign>(mib);
  }
}

}  // namespace

int main(int argc, char** argv) {
  register_all();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

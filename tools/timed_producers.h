// Producer threads appending standard spans with every append timed: the measuring loop of
// `spoolctl produce` and of the end-to-end driver (bench/e2e_driver.cc), so that spool and
// every baseline are timed by the same code.
//
// Each append is bracketed by steady_clock::now() (clock_gettime through the vDSO; its cost
// is in every latency figure alike) and its duration stored into the thread's own region of
// a vector sized before timing starts (8 bytes per span): measuring allocates nothing, and
// producers share a cache line of it only where their regions meet.
#pragma once

#include <algorithm>
#include <barrier>
#include <chrono>
#include <cstdint>
#include <thread>
#include <utility>
#include <vector>

#include "tools/standard_span.h"

namespace spool::tools {

struct LatencySummary {
  std::uint64_t count = 0;
  std::uint64_t p50_ns = 0;
  std::uint64_t p99_ns = 0;
  std::uint64_t p999_ns = 0;
  std::uint64_t max_ns = 0;
};

// Nearest-rank quantiles (the smallest value with at least q of all values at or below it).
// Reorders `ns`. All zero when empty.
LatencySummary summarize_latencies(std::vector<std::uint64_t>& ns);

struct ProducerPlan {
  unsigned threads = 1;
  std::uint64_t spans = 0;        // appended in total, over all threads and bursts
  std::uint64_t burst_spans = 0;  // 0: one continuous run; else spans per burst (all threads)
  std::chrono::milliseconds idle{0};  // pause after every burst but the last
};

struct ProducerRun {
  // From the first append until finish() returned, minus the idle pauses between bursts.
  double seconds = 0;
  std::uint64_t not_queued = 0;  // appends that returned false
  LatencySummary latency;        // over every append of every thread
};

namespace detail {

// Spans [first, first + n) shared by `threads`: thread t's slice, the remainder spread over
// the first n % threads threads.
struct Slice {
  std::uint64_t first;
  std::uint64_t count;
};
inline Slice slice_of(std::uint64_t first, std::uint64_t n, unsigned threads, unsigned t) {
  const std::uint64_t base = n / threads;
  const std::uint64_t extra = n % threads;
  return {first + t * base + std::min<std::uint64_t>(t, extra), base + (t < extra ? 1 : 0)};
}

inline std::uint64_t burst_count(const ProducerPlan& plan) {
  if (plan.burst_spans == 0 || plan.spans == 0) return 1;
  return (plan.spans + plan.burst_spans - 1) / plan.burst_spans;
}

inline Slice burst_slice(const ProducerPlan& plan, std::uint64_t burst) {
  if (plan.burst_spans == 0) return {0, plan.spans};
  const std::uint64_t first = burst * plan.burst_spans;
  return {first, std::min(plan.burst_spans, plan.spans - first)};
}

// Thread t's share of the whole plan: the size its latency vector needs.
inline std::uint64_t thread_total(const ProducerPlan& plan, unsigned t) {
  std::uint64_t total = 0;
  for (std::uint64_t b = 0; b < burst_count(plan); ++b) {
    const Slice burst = burst_slice(plan, b);
    total += slice_of(burst.first, burst.count, plan.threads, t).count;
  }
  return total;
}

}  // namespace detail

// Runs `plan`: append(const Span&) -> bool (true: accepted) is called concurrently from
// plan.threads threads (the calling thread itself when there is one); finish() once after
// the last append (e.g. flush and wait until everything is in the log). Span i of the plan
// is spans.cyclic(i), passed through prepare(thread, n, span) -> const Span& first, outside
// the timed bracket (n counts the thread's appends from 0: `spoolctl produce` stamps each
// span with its producer and sequence number there).
template <typename Append, typename Finish, typename Prepare>
ProducerRun run_timed_producers(const StandardSpanSet& spans, const ProducerPlan& plan,
                                Append&& append, Finish&& finish, Prepare&& prepare) {
  using Clock = std::chrono::steady_clock;
  const unsigned threads = plan.threads == 0 ? 1 : plan.threads;
  ProducerPlan p = plan;
  p.threads = threads;
  const std::uint64_t bursts = detail::burst_count(p);

  // One vector, a region per thread (filled[t] counts from the region's start), so the
  // samples need no merging afterwards.
  std::vector<std::uint64_t> latencies(p.spans);
  std::vector<std::uint64_t> filled(threads, 0);
  for (unsigned t = 1; t < threads; ++t) filled[t] = filled[t - 1] + detail::thread_total(p, t - 1);
  const std::vector<std::uint64_t> region_start = filled;
  std::vector<std::uint64_t> not_queued(threads, 0);

  auto produce = [&](unsigned t, std::uint64_t burst) {
    const detail::Slice b = detail::burst_slice(p, burst);
    const detail::Slice mine = detail::slice_of(b.first, b.count, threads, t);
    std::uint64_t* out = latencies.data() + filled[t];
    std::uint64_t failed = 0;
    const std::uint64_t done_before = filled[t] - region_start[t];
    for (std::uint64_t i = 0; i < mine.count; ++i) {
      const Span& span = prepare(t, done_before + i, spans.cyclic(mine.first + i));
      const auto start = Clock::now();
      const bool ok = append(span);
      const auto end = Clock::now();
      out[i] = static_cast<std::uint64_t>(
          std::chrono::duration_cast<std::chrono::nanoseconds>(end - start).count());
      failed += ok ? 0 : 1;
    }
    filled[t] += mine.count;
    not_queued[t] += failed;
  };

  Clock::duration idle{0};
  auto pause_after = [&](std::uint64_t burst) {
    if (burst + 1 == bursts || plan.idle.count() == 0) return;
    const auto before = Clock::now();
    std::this_thread::sleep_for(plan.idle);
    idle += Clock::now() - before;
  };

  Clock::time_point start;
  if (threads == 1) {
    start = Clock::now();
    for (std::uint64_t b = 0; b < bursts; ++b) {
      produce(0, b);
      pause_after(b);
    }
  } else {
    // Phases: everyone ready; then per burst: go, done. The main thread only coordinates.
    std::barrier sync(static_cast<std::ptrdiff_t>(threads) + 1);
    std::vector<std::thread> workers;
    workers.reserve(threads);
    for (unsigned t = 0; t < threads; ++t) {
      workers.emplace_back([&, t] {
        sync.arrive_and_wait();
        for (std::uint64_t b = 0; b < bursts; ++b) {
          sync.arrive_and_wait();
          produce(t, b);
          sync.arrive_and_wait();
        }
      });
    }
    sync.arrive_and_wait();
    start = Clock::now();
    for (std::uint64_t b = 0; b < bursts; ++b) {
      sync.arrive_and_wait();
      sync.arrive_and_wait();
      pause_after(b);
    }
    for (std::thread& w : workers) w.join();
  }
  finish();
  const auto stop = Clock::now();

  ProducerRun run;
  run.seconds = std::chrono::duration<double>(stop - start - idle).count();
  for (unsigned t = 0; t < threads; ++t) run.not_queued += not_queued[t];
  run.latency = summarize_latencies(latencies);
  return run;
}

template <typename Append, typename Finish>
ProducerRun run_timed_producers(const StandardSpanSet& spans, const ProducerPlan& plan,
                                Append&& append, Finish&& finish) {
  return run_timed_producers(spans, plan, std::forward<Append>(append), std::forward<Finish>(finish),
                             [](unsigned, std::uint64_t, const Span& span) -> const Span& { return span; });
}

}  // namespace spool::tools

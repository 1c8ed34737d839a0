// Google Benchmark of the producer's append path through the real spool::Buffer (default
// options, durability none), with the writer thread draining into the log concurrently:
//
//   BM_AppendPrebuiltSpan    Buffer::append(const EncodedRecord&): standard spans
//                            (../shared/WORKLOAD.md, tools/standard_span.h) encoded once
//                            with spool::RecordEncoder before timing; the append is a copy
//                            into the thread's ring.
//   BM_BuildAndAppendSpan    Buffer::append(const Span&): serializes the span per call.
//   BM_SpanBuilderAndAppend  fills a reused spool::SpanBuilder with a standard span's fields
//                            and appends builder.span(): the timed region is fill + append.
//
// Inputs cycle through a pool of StandardSpanSet::kPoolSize distinct spans (~3.9 MB of
// encoded bytes: larger than L2, so appends do not read an unrealistically hot input).
//
// Each append is also timed on its own with the TSC (lfence; rdtsc ... rdtscp; lfence),
// calibrated against steady_clock at start-up; the median cost of an empty timed region
// (the clock overhead, ~35-45 ns on this VM) is subtracted from every sample. Samples go
// into an array sized before timing; p50 / p99 / p99.9 / max (nearest rank) become the
// counters p50_ns, p99_ns, p999_ns, max_ns.
//
// Keeping the queue from filling: the writer drains ~2 GB/s and a producer appends faster,
// so every kPaceSpans appends (5.9 MB of entries, inside the 16 MiB ring and the 64 MiB
// queue budget) the benchmark pauses timing and flushes. The writer goes to sleep during
// that flush, so the first append after it pays the futex wake (one in kPaceSpans: it shows
// in max, not in p99.9). Before timing, a warm-up of kWarmupSpans appends cycles the new
// thread's ring once, so the ring's creation, the thread's registration and any first-touch
// page faults are not timed either. `dropped` (every drop reason of BufferStats) must be 0
// for a figure to count.
//
// Diagnostic: SPOOL_BENCH_IO_BACKEND=pwrite opens the Buffer with io_backend = kPwrite (the
// writer copies into the page cache itself instead of handing the write to io_uring's kernel
// worker threads, which compete with the producer for the two cores).
//
// Stand-alone latency mode: `append_bench --latency [N]` appends N (default 1,000,000)
// pre-built spans, five times, each into a new log, and prints the median of the five
// runs' p50 / p99 / p99.9 / max on one line.
//
// Attached against in-process: `append_bench --attach [N]` opens, per run, a writer Buffer
// and a second Buffer on the same directory, which attaches (Role::kAttach: its producer
// appends into a shared ring the first one's writer drains), and times N pre-built spans
// through each in turn; it prints the medians of five runs side by side and their ratio.
#include <benchmark/benchmark.h>
#include <unistd.h>
#include <x86intrin.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "spool/buffer.h"
#include "spool/producers.h"
#include "spool/record_encoder.h"
#include "spool/span_builder.h"
#include "tools/standard_span.h"
#include "tools/timed_producers.h"

#ifndef SPOOL_BENCH_DEFAULT_DIR
#define SPOOL_BENCH_DEFAULT_DIR "bench-data"
#endif

namespace {

using spool::Buffer;
using spool::EncodedRecord;
using spool::Span;
using spool::Status;
using spool::tools::LatencySummary;
using spool::tools::StandardSpanSet;

// 8192 entries of ~716 bytes = 5.9 MB: below the 16 MiB ring; also below the queue budget
// unless memory pressure shrinks it under 6 MB (its floor is 4 MiB), which `dropped` shows.
constexpr std::uint64_t kPaceSpans = 8192;
constexpr std::uint64_t kWarmupSpans = 3 * kPaceSpans;  // then more, until the ring has lapped (warm_up)
constexpr std::uint64_t kBenchSpans = 1'000'000;        // appends per benchmark repetition
constexpr int kLatencyRuns = 5;

// ---- Timing each append with the TSC. ----

inline std::uint64_t tsc_begin() noexcept {
  _mm_lfence();
  const std::uint64_t t = __rdtsc();
  _mm_lfence();
  return t;
}
inline std::uint64_t tsc_end() noexcept {
  unsigned aux;
  const std::uint64_t t = __rdtscp(&aux);
  _mm_lfence();
  return t;
}

struct TscClock {
  double ns_per_tick = 1.0;
  std::uint64_t overhead_ticks = 0;  // median cost of an empty timed region

  static const TscClock& get() {
    static const TscClock clock = calibrate();
    return clock;
  }
  double overhead_ns() const { return static_cast<double>(overhead_ticks) * ns_per_tick; }
  // A sample in ns with the clock's own cost taken out.
  std::uint64_t to_ns(std::uint64_t ticks) const {
    const std::uint64_t t = ticks > overhead_ticks ? ticks - overhead_ticks : 0;
    return static_cast<std::uint64_t>(static_cast<double>(t) * ns_per_tick + 0.5);
  }

 private:
  static TscClock calibrate() {
    using Clock = std::chrono::steady_clock;
    TscClock c;
    const auto t0 = Clock::now();
    const std::uint64_t k0 = tsc_begin();
    while (Clock::now() - t0 < std::chrono::milliseconds(100)) {
    }
    const auto t1 = Clock::now();
    const std::uint64_t k1 = tsc_end();
    c.ns_per_tick = static_cast<double>(std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count()) /
                    static_cast<double>(k1 - k0);
    std::vector<std::uint64_t> empty(100'000);
    for (auto& e : empty) {
      const std::uint64_t a = tsc_begin();
      const std::uint64_t b = tsc_end();
      e = b - a;
    }
    std::nth_element(empty.begin(), empty.begin() + static_cast<std::ptrdiff_t>(empty.size() / 2), empty.end());
    c.overhead_ticks = empty[empty.size() / 2];
    return c;
  }
};

// ---- Inputs, made before any timing. ----

const StandardSpanSet& standard_spans() {
  static const auto* const set = new StandardSpanSet(StandardSpanSet::kPoolSize);
  return *set;
}

// Every span of the pool encoded once, each into its own bytes.
class PrebuiltSpans {
 public:
  static const PrebuiltSpans& get() {
    static const auto* const prebuilt = new PrebuiltSpans(standard_spans());
    return *prebuilt;
  }
  const EncodedRecord& cyclic(std::uint64_t i) const noexcept { return records_[i % records_.size()]; }
  double mean_bytes() const noexcept { return mean_bytes_; }

 private:
  explicit PrebuiltSpans(const StandardSpanSet& spans) {
    spool::RecordEncoder encoder;
    bytes_.reserve(spans.size());
    std::size_t total = 0;
    for (const Span& span : spans.spans()) {
      const EncodedRecord r = encoder.encode(span);
      bytes_.emplace_back(r.bytes.begin(), r.bytes.end());
      records_.push_back(EncodedRecord{r.kind, r.priority, {}});
      total += r.bytes.size();
    }
    for (std::size_t i = 0; i < records_.size(); ++i) records_[i].bytes = bytes_[i];
    mean_bytes_ = static_cast<double>(total) / static_cast<double>(records_.size());
  }
  std::vector<std::vector<std::uint8_t>> bytes_;
  std::vector<EncodedRecord> records_;
  double mean_bytes_ = 0;
};

// ---- A Buffer in a fresh directory on the bench disk, removed afterwards. ----

std::string bench_root() {
  const char* env = std::getenv("SPOOL_BENCH_DIR");
  std::string root = env != nullptr && *env != '\0' ? env : SPOOL_BENCH_DEFAULT_DIR;
  return root + "/append-bench-" + std::to_string(::getpid());
}

std::unique_ptr<Buffer> open_or_die(const std::string& dir, spool::Role role) {
  spool::Options options;  // defaults: 64 MiB budget, 16 MiB rings, kDropNewest
  options.role = role;
  options.log.durability = spool::Durability::kNone;
  options.log.retention_bytes = 1ull << 30;  // bounded disk use however long it runs
  // Diagnostic only (bench/README.md): SPOOL_BENCH_IO_BACKEND=pwrite keeps the writer's
  // writes on its own thread instead of io_uring's kernel workers.
  const char* backend = std::getenv("SPOOL_BENCH_IO_BACKEND");
  if (backend != nullptr && std::strcmp(backend, "pwrite") == 0) options.log.io_backend = spool::IoBackend::kPwrite;
  auto opened = Buffer::open(dir, options);
  if (!opened) {
    std::fprintf(stderr, "append_bench: cannot open %s: %s\n", dir.c_str(), opened.status().to_string().c_str());
    std::exit(1);
  }
  return std::move(opened.value());
}

class BenchBuffer {
 public:
  BenchBuffer() {
    static int runs = 0;
    dir_ = bench_root() + "/run-" + std::to_string(runs++);
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    buffer_ = open_or_die(dir_, spool::Role::kWriter);
  }
  // A second Buffer on the same directory: the first holds the lock, so this one attaches
  // (role kAttach) and appends into its own shared ring, drained by the first one's writer.
  std::unique_ptr<Buffer> open_attached() const {
    auto attached = open_or_die(dir_, spool::Role::kAttach);
    if (attached->role() != spool::Role::kAttach) {
      std::fprintf(stderr, "append_bench: second Buffer on %s is not attached\n", dir_.c_str());
      std::exit(1);
    }
    return attached;
  }
  ~BenchBuffer() {
    (void)buffer_->shutdown();
    buffer_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  Buffer& operator*() { return *buffer_; }
  Buffer* operator->() { return buffer_.get(); }
  std::uint64_t dropped() const { return buffer_->stats().dropped_total(); }

 private:
  std::string dir_;
  std::unique_ptr<Buffer> buffer_;
};

void flush_or_die(Buffer& buffer) {
  const Status s = buffer.flush();
  if (!s.is_ok()) {
    std::fprintf(stderr, "append_bench: flush failed: %s\n", s.to_string().c_str());
    std::exit(1);
  }
}

// The bytes of the calling thread's live ring in `buffer`'s log (0 when it has none yet).
std::uint64_t own_ring_bytes(const Buffer& buffer) {
  const auto summary = spool::summarize_producers(buffer.dir());
  if (!summary) return 0;
  const pid_t tid = static_cast<pid_t>(::gettid());
  for (const spool::ProducerInfo& p : summary.value().producers) {
    if (p.pid == ::getpid() && p.tid == tid && p.alive && !p.sealed) return p.ring_bytes;
  }
  return 0;
}

// Warm-up, paced like the timed loop: rings start at 64 KiB and grow while the writer lags, so
// kWarmupSpans first, then more until the thread's ring has done one full lap at the size it
// settled on. Every page of it has then been written once: a ring page's first write costs a
// page fault (~10-15 us on this VM, ext4), which is the ring's creation, not the append path
// (bench/README.md, "The first lap and writeback"). Bounded: at most 64 extra paces.
template <typename Append>
void warm_up(Buffer& buffer, Append& append) {
  std::uint64_t i = 0;
  auto pace = [&] {
    for (const std::uint64_t end = i + kPaceSpans; i < end; ++i) (void)append(i);
    flush_or_die(buffer);
  };
  while (i < kWarmupSpans) pace();
  const double span_bytes = PrebuiltSpans::get().mean_bytes();
  std::uint64_t ring = own_ring_bytes(buffer);
  double lapped = 0;  // bytes appended since the ring last changed size
  for (int extra = 0; extra < 64 && lapped < static_cast<double>(ring); ++extra) {
    pace();
    const std::uint64_t now = own_ring_bytes(buffer);
    lapped = now == ring ? lapped + kPaceSpans * span_bytes : 0;
    ring = now;
  }
}

LatencySummary summarize_ticks(std::vector<std::uint64_t>& ticks) {
  const TscClock& clock = TscClock::get();
  for (auto& t : ticks) t = clock.to_ns(t);
  return spool::tools::summarize_latencies(ticks);
}

// ---- The benchmarks. `append(i)` appends the i-th input and returns its Status. ----

template <typename Append>
void run_append_benchmark(benchmark::State& state, BenchBuffer& buffer, Append append) {
  warm_up(*buffer, append);
  const std::uint64_t dropped_before = buffer.dropped();
  std::vector<std::uint64_t> ticks(static_cast<std::size_t>(state.max_iterations));
  std::uint64_t i = 0;
  std::uint64_t not_ok = 0;
  for (auto _ : state) {
    if (i != 0 && i % kPaceSpans == 0) {
      state.PauseTiming();
      flush_or_die(*buffer);
      state.ResumeTiming();
    }
    const std::uint64_t start = tsc_begin();
    const Status s = append(i);
    const std::uint64_t end = tsc_end();
    ticks[i] = end - start;
    not_ok += s.is_ok() ? 0 : 1;
    ++i;
  }
  ticks.resize(i);
  flush_or_die(*buffer);  // after the loop: no longer timed
  const std::uint64_t dropped = buffer.dropped() - dropped_before;
  const LatencySummary lat = summarize_ticks(ticks);
  state.counters["p50_ns"] = static_cast<double>(lat.p50_ns);
  state.counters["p99_ns"] = static_cast<double>(lat.p99_ns);
  state.counters["p999_ns"] = static_cast<double>(lat.p999_ns);
  state.counters["max_ns"] = static_cast<double>(lat.max_ns);
  state.counters["dropped"] = static_cast<double>(dropped);
  state.counters["not_ok"] = static_cast<double>(not_ok);
  state.counters["clock_overhead_ns"] = TscClock::get().overhead_ns();
  state.SetItemsProcessed(static_cast<std::int64_t>(i));
}

void BM_AppendPrebuiltSpan(benchmark::State& state) {
  const PrebuiltSpans& prebuilt = PrebuiltSpans::get();
  BenchBuffer buffer;
  run_append_benchmark(state, buffer, [&](std::uint64_t i) { return buffer->append(prebuilt.cyclic(i)); });
  state.counters["record_bytes"] = prebuilt.mean_bytes();
}

void BM_BuildAndAppendSpan(benchmark::State& state) {
  const StandardSpanSet& spans = standard_spans();
  BenchBuffer buffer;
  run_append_benchmark(state, buffer, [&](std::uint64_t i) { return buffer->append(spans.cyclic(i)); });
}

void BM_SpanBuilderAndAppend(benchmark::State& state) {
  const StandardSpanSet& spans = standard_spans();
  BenchBuffer buffer;
  spool::SpanBuilder builder;
  run_append_benchmark(state, buffer, [&](std::uint64_t i) {
    const Span& s = spans.cyclic(i);
    builder.start(s.name, s.type)
        .set_component_type(s.component_type)
        .set_start_ns(s.start_ns)
        .set_end_ns(s.end_ns)
        .set_status(s.status, s.status_message)
        .set_model(s.model)
        .set_input(s.input)
        .set_output(s.output)
        .set_tokens(s.input_tokens, s.output_tokens);
    for (const spool::Attribute& a : s.attributes) builder.add_attribute(a);
    return buffer->append(builder.span());
  });
}

BENCHMARK(BM_AppendPrebuiltSpan)->Iterations(kBenchSpans)->UseRealTime()->Unit(benchmark::kNanosecond);
BENCHMARK(BM_BuildAndAppendSpan)->Iterations(kBenchSpans)->UseRealTime()->Unit(benchmark::kNanosecond);
BENCHMARK(BM_SpanBuilderAndAppend)->Iterations(kBenchSpans)->UseRealTime()->Unit(benchmark::kNanosecond);

// ---- --latency N ----

std::uint64_t median_of(std::vector<std::uint64_t> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// One run: warm-up, then n pre-built spans appended by the calling thread into `buffer`, each
// timed; paced by flushes outside every timed region. Returns the percentiles and the drops.
struct TimedRun {
  LatencySummary latency;
  std::uint64_t dropped = 0;
};

TimedRun time_prebuilt_appends(Buffer& buffer, std::uint64_t n) {
  const PrebuiltSpans& prebuilt = PrebuiltSpans::get();
  auto append = [&](std::uint64_t i) { return buffer.append(prebuilt.cyclic(i)); };
  warm_up(buffer, append);
  const std::uint64_t dropped_before = buffer.stats().dropped_total();
  std::vector<std::uint64_t> ticks(n, 0);
  for (std::uint64_t i = 0; i < n; ++i) {
    if (i != 0 && i % kPaceSpans == 0) flush_or_die(buffer);  // not inside any timed region
    const std::uint64_t start = tsc_begin();
    (void)append(i);
    const std::uint64_t end = tsc_end();
    ticks[i] = end - start;
  }
  flush_or_die(buffer);
  return TimedRun{summarize_ticks(ticks), buffer.stats().dropped_total() - dropped_before};
}

// The same on a thread of its own (a new producer thread, hence a new ring, per run).
TimedRun time_prebuilt_appends_on_new_thread(Buffer& buffer, std::uint64_t n) {
  TimedRun run;
  std::thread producer([&] { run = time_prebuilt_appends(buffer, n); });
  producer.join();
  return run;
}

// The medians over runs of each percentile.
struct MedianLatency {
  std::vector<std::uint64_t> p50, p99, p999, max;
  std::uint64_t dropped = 0;

  void add(const TimedRun& run) {
    p50.push_back(run.latency.p50_ns);
    p99.push_back(run.latency.p99_ns);
    p999.push_back(run.latency.p999_ns);
    max.push_back(run.latency.max_ns);
    dropped += run.dropped;
  }
};

void print_run(const char* label, int run, const TimedRun& r) {
  std::fprintf(stderr, "%srun %d: p50 %llu ns, p99 %llu ns, p99.9 %llu ns, max %llu ns, dropped %llu\n", label,
               run + 1, static_cast<unsigned long long>(r.latency.p50_ns),
               static_cast<unsigned long long>(r.latency.p99_ns), static_cast<unsigned long long>(r.latency.p999_ns),
               static_cast<unsigned long long>(r.latency.max_ns), static_cast<unsigned long long>(r.dropped));
}

int run_latency_mode(std::uint64_t n) {
  const PrebuiltSpans& prebuilt = PrebuiltSpans::get();
  const TscClock& clock = TscClock::get();
  MedianLatency m;
  for (int run = 0; run < kLatencyRuns; ++run) {
    BenchBuffer buffer;
    const TimedRun r = time_prebuilt_appends(*buffer, n);
    print_run("", run, r);
    m.add(r);
  }
  std::printf(
      "append latency, pre-built standard span (%.0f B), %llu appends x %d runs, median of runs: "
      "p50 %llu ns, p99 %llu ns, p99.9 %llu ns, max %llu ns (TSC, %.1f ns clock overhead subtracted; "
      "dropped %llu)\n",
      prebuilt.mean_bytes(), static_cast<unsigned long long>(n), kLatencyRuns,
      static_cast<unsigned long long>(median_of(m.p50)), static_cast<unsigned long long>(median_of(m.p99)),
      static_cast<unsigned long long>(median_of(m.p999)), static_cast<unsigned long long>(median_of(m.max)),
      clock.overhead_ns(), static_cast<unsigned long long>(m.dropped));
  return m.dropped == 0 ? 0 : 3;
}

// --attach N: per run, one log with a writer Buffer and a second, attached Buffer on the same
// directory in this process; n pre-built spans appended through each in turn (never at the
// same time: 2 cores), each on a new producer thread, while the writer Buffer's writer
// drains. The order alternates between runs so neither side always goes first.
int run_attach_mode(std::uint64_t n) {
  const PrebuiltSpans& prebuilt = PrebuiltSpans::get();
  const TscClock& clock = TscClock::get();
  MedianLatency in_process, attached;
  for (int run = 0; run < kLatencyRuns; ++run) {
    BenchBuffer buffer;
    std::unique_ptr<Buffer> attach = buffer.open_attached();
    for (int side = 0; side < 2; ++side) {
      if ((side + run) % 2 == 0) {
        const TimedRun r = time_prebuilt_appends_on_new_thread(*buffer, n);
        print_run("in-process ", run, r);
        in_process.add(r);
      } else {
        const TimedRun r = time_prebuilt_appends_on_new_thread(*attach, n);
        print_run("attached   ", run, r);
        attached.add(r);
      }
    }
    (void)attach->shutdown();
  }
  auto ratio = [](const std::vector<std::uint64_t>& a, const std::vector<std::uint64_t>& b) {
    const double den = static_cast<double>(median_of(b));
    return den > 0 ? static_cast<double>(median_of(a)) / den : 0.0;
  };
  std::printf("append latency, pre-built standard span (%.0f B), %llu appends x %d runs, median of runs "
              "(TSC, %.1f ns clock overhead subtracted)\n",
              prebuilt.mean_bytes(), static_cast<unsigned long long>(n), kLatencyRuns, clock.overhead_ns());
  std::printf("%-22s %8s %8s %8s %10s %8s\n", "producer", "p50 ns", "p99 ns", "p99.9 ns", "max ns", "dropped");
  for (const auto* side : {&in_process, &attached}) {
    std::printf("%-22s %8llu %8llu %8llu %10llu %8llu\n",
                side == &in_process ? "in-process (writer's)" : "attached (2nd Buffer)",
                static_cast<unsigned long long>(median_of(side->p50)),
                static_cast<unsigned long long>(median_of(side->p99)),
                static_cast<unsigned long long>(median_of(side->p999)),
                static_cast<unsigned long long>(median_of(side->max)),
                static_cast<unsigned long long>(side->dropped));
  }
  std::printf("%-22s %8.2f %8.2f %8.2f %10.2f\n", "attached / in-process", ratio(attached.p50, in_process.p50),
              ratio(attached.p99, in_process.p99), ratio(attached.p999, in_process.p999),
              ratio(attached.max, in_process.max));
  return in_process.dropped + attached.dropped == 0 ? 0 : 3;
}

}  // namespace

int main(int argc, char** argv) {
  for (int a = 1; a < argc; ++a) {
    const bool attach = std::strcmp(argv[a], "--attach") == 0;
    if (attach || std::strcmp(argv[a], "--latency") == 0) {
      std::uint64_t n = 1'000'000;
      if (a + 1 < argc) {
        char* end = nullptr;
        n = std::strtoull(argv[a + 1], &end, 10);
        if (end == argv[a + 1] || *end != '\0' || n == 0) {
          std::fprintf(stderr, "usage: append_bench --latency|--attach [N > 0]\n");
          return 2;
        }
      }
      const int rc = attach ? run_attach_mode(n) : run_latency_mode(n);
      std::error_code ec;
      std::filesystem::remove_all(bench_root(), ec);
      return rc;
    }
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  std::error_code ec;
  std::filesystem::remove_all(bench_root(), ec);
  return 0;
}

// Google Benchmark of the segment log: append (one record per call, batches, io_uring vs
// pwrite), sequential scan, and random reads by offset. Records are 700-byte payloads of
// printable words from a seeded PRNG (the size of a standard span, ../shared/WORKLOAD.md),
// generated before timing starts.
//
// Logs live on the real disk: $SPOOL_BENCH_DIR, else <build dir>/bench-data. Never tmpfs:
// the point is to compare with the disk's sequential write bandwidth (scripts/bench runs
// dd beside this). Every append benchmark starts from an empty log, deleted afterwards, with
// a 1 GiB retention cap so disk use stays bounded however many iterations run.
//
// Rates use wall-clock time (UseRealTime): appends spend time in the kernel and waiting
// for writeback, which CPU time would hide.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "segment/segment_log.h"

#ifndef SPOOL_BENCH_DEFAULT_DIR
#define SPOOL_BENCH_DEFAULT_DIR "bench-data"
#endif

namespace {

using spool::IoBackend;
using spool::LogOptions;
using spool::segment::AppendRecord;
using spool::segment::OpenMode;
using spool::segment::RecordView;
using spool::segment::SegmentLog;

constexpr std::size_t kRecordBytes = 700;
constexpr std::size_t kDistinctPayloads = 4096;
constexpr std::uint64_t kScanRecords = 1'000'000;  // ~745 MB of frames

std::string bench_root() {
  const char* env = std::getenv("SPOOL_BENCH_DIR");
  std::string root = env != nullptr && *env != '\0' ? env : SPOOL_BENCH_DEFAULT_DIR;
  root += "/segment-log-bench-" + std::to_string(::getpid());
  std::filesystem::create_directories(root);
  return root;
}

const std::string& root_dir() {
  static const std::string* const dir = new std::string(bench_root());
  return *dir;
}

void remove_tree(const std::string& path) {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
}

// 700-byte payloads of words, drawn before any timing.
const std::vector<std::string>& payloads() {
  static const std::vector<std::string>* const all = [] {
    static constexpr const char* kWords[] = {
        "the", "model", "returned", "a", "summary", "of", "request", "tokens", "latency",
        "inference", "gateway", "edge", "region", "production", "span", "trace", "generation",
        "reasoning", "user", "asked", "for", "weather", "forecast", "in", "paris", "and",
        "berlin", "answer", "was", "ok", "with", "high", "confidence"};
    std::mt19937_64 rng(0x5eed5);
    auto* v = new std::vector<std::string>();
    v->reserve(kDistinctPayloads);
    for (std::size_t i = 0; i < kDistinctPayloads; ++i) {
      std::string s;
      s.reserve(kRecordBytes + 16);
      while (s.size() < kRecordBytes) {
        s += kWords[rng() % std::size(kWords)];
        s += ' ';
      }
      s.resize(kRecordBytes);
      v->push_back(std::move(s));
    }
    return v;
  }();
  return *all;
}

std::span<const std::uint8_t> bytes_of(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

constexpr std::uint64_t kSegmentBytes = 64ull << 20;

LogOptions append_options(IoBackend backend, std::uint64_t segment_bytes = kSegmentBytes) {
  LogOptions o;
  o.segment_bytes = segment_bytes;
  o.durability = spool::Durability::kNone;
  o.io_backend = backend;
  o.retention_bytes = 1ull << 30;
  return o;
}

// A fresh, empty log for one benchmark run; removed when the run ends.
class ScratchLog {
 public:
  ScratchLog(benchmark::State& state, IoBackend backend, std::uint64_t segment_bytes = kSegmentBytes)
      : dir_(root_dir() + "/append") {
    remove_tree(dir_);
    auto log = SegmentLog::open(dir_, append_options(backend, segment_bytes));
    if (!log) {
      state.SkipWithError(log.status().to_string().c_str());
      return;
    }
    log_ = std::move(log.value());
  }
  ~ScratchLog() {
    if (log_) (void)log_->close();
    log_.reset();
    remove_tree(dir_);
  }
  SegmentLog* get() const { return log_.get(); }

 private:
  std::string dir_;
  std::unique_ptr<SegmentLog> log_;
};

// One append() call per record.
void BM_Append(benchmark::State& state, IoBackend backend) {
  const auto& p = payloads();
  ScratchLog scratch(state, backend);
  SegmentLog* log = scratch.get();
  if (log == nullptr) return;
  std::size_t i = 0;
  for (auto _ : state) {
    auto r = log->append(1, bytes_of(p[i++ % kDistinctPayloads]));
    if (!r) {
      state.SkipWithError(r.status().to_string().c_str());
      break;
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * kRecordBytes));
  state.SetLabel(log->io_backend_name());
}

// append_batch() of state.range(0) records per call.
void BM_AppendBatch(benchmark::State& state, IoBackend backend,
                    std::uint64_t segment_bytes = kSegmentBytes) {
  const auto& p = payloads();
  const auto batch_size = static_cast<std::size_t>(state.range(0));
  ScratchLog scratch(state, backend, segment_bytes);
  SegmentLog* log = scratch.get();
  if (log == nullptr) return;
  std::vector<AppendRecord> batch(batch_size);
  std::size_t i = 0;
  for (auto _ : state) {
    for (auto& r : batch) {
      r.type = 1;
      r.payload = bytes_of(p[i++ % kDistinctPayloads]);
    }
    auto r = log->append_batch(batch);
    if (!r) {
      state.SkipWithError(r.status().to_string().c_str());
      break;
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * batch_size));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * batch_size * kRecordBytes));
  state.SetLabel(log->io_backend_name());
}

// The prebuilt log read by the scan and random-read benchmarks: kScanRecords records,
// written once per process (not timed) and removed at exit.
const std::string& scan_log_dir() {
  static const std::string* const dir = [] {
    auto* d = new std::string(root_dir() + "/scan");
    remove_tree(*d);
    LogOptions o = append_options(IoBackend::kAuto);
    o.retention_bytes = 0;
    auto log = SegmentLog::open(*d, o);
    if (!log) {
      std::fprintf(stderr, "cannot create %s: %s\n", d->c_str(), log.status().to_string().c_str());
      std::abort();
    }
    const auto& p = payloads();
    std::vector<AppendRecord> batch(256);
    for (std::uint64_t n = 0; n < kScanRecords; n += batch.size()) {
      for (std::size_t k = 0; k < batch.size(); ++k) {
        batch[k] = AppendRecord{1, bytes_of(p[(n + k) % kDistinctPayloads])};
      }
      if (!log.value()->append_batch(batch)) std::abort();
    }
    if (!log.value()->close().is_ok()) std::abort();
    return d;
  }();
  return *dir;
}

std::unique_ptr<SegmentLog> open_scan_log(benchmark::State& state) {
  auto log = SegmentLog::open(scan_log_dir(), LogOptions{}, OpenMode::kReadOnly);
  if (!log) {
    state.SkipWithError(log.status().to_string().c_str());
    return nullptr;
  }
  return std::move(log.value());
}

// Reads the whole prebuilt log front to back (zero-copy views; every frame's checksum is
// verified by the reader, so every payload byte is touched). Warm page cache: the log was
// just written, so this measures the reader, not the disk.
void BM_Scan(benchmark::State& state) {
  auto log = open_scan_log(state);
  if (!log) return;
  std::uint64_t records = 0;
  std::uint64_t bytes = 0;
  for (auto _ : state) {
    auto reader = log->scan(0);
    RecordView v;
    while (reader.next(&v)) {
      benchmark::DoNotOptimize(v.payload.data());
      bytes += v.payload.size();
      ++records;
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(records));
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}

// read(offset) at uniformly random offsets of the prebuilt log (index lookup + one frame).
void BM_ReadRandom(benchmark::State& state) {
  auto log = open_scan_log(state);
  if (!log) return;
  std::mt19937_64 rng(42);
  std::vector<std::uint64_t> offsets(1 << 16);
  for (auto& o : offsets) o = rng() % kScanRecords;
  std::size_t i = 0;
  std::uint64_t bytes = 0;
  for (auto _ : state) {
    auto r = log->read(offsets[i++ & (offsets.size() - 1)]);
    if (!r) {
      state.SkipWithError(r.status().to_string().c_str());
      break;
    }
    benchmark::DoNotOptimize(r.value().payload.data());
    bytes += r.value().payload.size();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}

BENCHMARK_CAPTURE(BM_Append, auto, IoBackend::kAuto)->UseRealTime();
BENCHMARK_CAPTURE(BM_Append, pwrite, IoBackend::kPwrite)->UseRealTime();
BENCHMARK_CAPTURE(BM_AppendBatch, auto, IoBackend::kAuto)
    ->Arg(16)->Arg(64)->Arg(256)->UseRealTime();
BENCHMARK_CAPTURE(BM_AppendBatch, io_uring, IoBackend::kUring)->Arg(64)->UseRealTime();
BENCHMARK_CAPTURE(BM_AppendBatch, pwrite, IoBackend::kPwrite)->Arg(64)->UseRealTime();
// Diagnostic: 1 GiB segments, so no rotation (and no fdatasync of a sealed segment) happens
// within a run; the difference to pwrite/64 is what rotating 64 MiB segments costs.
BENCHMARK_CAPTURE(BM_AppendBatch, pwrite_1GiB_segments, IoBackend::kPwrite, 1ull << 30)
    ->Arg(64)->UseRealTime();
BENCHMARK(BM_Scan)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_ReadRandom)->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  remove_tree(root_dir());
  return 0;
}

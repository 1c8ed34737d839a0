// Peak memory of many producer threads against the queue budget (issue 10: ring memory is
// inside queue_bytes). One process opens a Buffer on DIR (writer, or attached when another
// process writes it), starts T threads that wait on one barrier and then each append S
// pre-built standard spans (tools/standard_span.h, encoded once before the threads start)
// with FullPolicy::kBlock, flushes, and prints one JSON line:
//
//   rss_bench DIR [--threads T] [--spans-per-thread S] [--queue-bytes B]
//
// {"role", "threads", "spans", "not_queued", "queue_bytes", "baseline_rss_kib" (VmRSS after
//  the spans were made, before the Buffer opened), "vm_hwm_kib" (VmHWM of /proc/self/status at
//  the end: the process's peak RSS), "vm_rss_kib" (VmRSS at the end), "hwm_over_baseline_kib",
//  "max_rss_anon_kib", "max_rss_file_kib", "max_rss_shmem_kib", "max_pss_kib", "max_pss_file_kib"
//  (largest seen, sampled every 5 ms; Pss from /proc/self/smaps_rollup), "baseline_pss_file_kib"
//  (Pss_File before the Buffer opened: the binary and its libraries),
//  "seconds"}
//
// scripts/bench-processes (suite rss) runs 1 process x 256 threads and 16 processes x 16
// threads on one directory. Not a test: it asserts nothing about memory.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <latch>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "spool/buffer.h"
#include "spool/record_encoder.h"
#include "tools/standard_span.h"

namespace {

// A field of a /proc file in KiB ("VmHWM:     1234 kB"), 0 when absent.
std::uint64_t proc_kib(const char* path, const char* field) {
  std::ifstream status(path);
  std::string line;
  const std::size_t n = std::strlen(field);
  while (std::getline(status, line)) {
    if (line.compare(0, n, field) == 0 && line.size() > n && line[n] == ':') {
      return std::strtoull(line.c_str() + n + 1, nullptr, 10);
    }
  }
  return 0;
}
std::uint64_t status_kib(const char* field) { return proc_kib("/proc/self/status", field); }
// Proportional set size: a page mapped k times counts 1/k in each mapping. A ring's pages are
// mapped twice in the writer's process (its producer thread's mapping and the writer's), so
// RssFile counts them twice there; Pss_File counts them once (summed over processes: once).
std::uint64_t rollup_kib(const char* field) { return proc_kib("/proc/self/smaps_rollup", field); }

bool parse_u64(const char* text, std::uint64_t* out) {
  char* end = nullptr;
  *out = std::strtoull(text, &end, 10);
  return end != text && *end == '\0';
}

int usage() {
  std::fprintf(stderr, "usage: rss_bench DIR [--threads T] [--spans-per-thread S] [--queue-bytes B]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || argv[1][0] == '-') return usage();
  const std::string dir = argv[1];
  std::uint64_t threads = 256;
  std::uint64_t per_thread = 4000;
  spool::Options options;  // default queue_bytes (64 MiB), 16 MiB largest ring
  for (int a = 2; a + 1 < argc + 1; a += 2) {
    if (a + 1 >= argc) return usage();
    std::uint64_t* target = std::strcmp(argv[a], "--threads") == 0            ? &threads
                            : std::strcmp(argv[a], "--spans-per-thread") == 0 ? &per_thread
                            : std::strcmp(argv[a], "--queue-bytes") == 0      ? &options.queue_bytes
                                                                              : nullptr;
    if (target == nullptr || !parse_u64(argv[a + 1], target)) return usage();
  }
  if (threads == 0 || threads > 4096) return usage();

  const spool::tools::StandardSpanSet spans(spool::tools::StandardSpanSet::kPoolSize);
  spool::RecordEncoder encoder;
  std::vector<std::vector<std::uint8_t>> bytes;
  std::vector<spool::EncodedRecord> records;
  for (const spool::Span& span : spans.spans()) {
    const spool::EncodedRecord r = encoder.encode(span);
    bytes.emplace_back(r.bytes.begin(), r.bytes.end());
    records.push_back(spool::EncodedRecord{r.kind, r.priority, {}});
  }
  for (std::size_t i = 0; i < records.size(); ++i) records[i].bytes = bytes[i];
  const std::uint64_t baseline_kib = status_kib("VmRSS");
  const std::uint64_t baseline_pss_file_kib = rollup_kib("Pss_File");

  options.full_policy = spool::FullPolicy::kBlock;  // every span in the log, as `produce` does
  options.log.durability = spool::Durability::kNone;
  options.log.retention_bytes = 1ull << 30;  // bounded disk use (when this run creates the log)
  auto opened = spool::Buffer::open(dir, options);
  if (!opened) {
    std::fprintf(stderr, "rss_bench: cannot open %s: %s\n", dir.c_str(), opened.status().to_string().c_str());
    return 1;
  }
  spool::Buffer& buffer = **opened;
  const spool::Role role = buffer.role();

  std::latch start(static_cast<std::ptrdiff_t>(threads) + 1);
  std::vector<std::uint64_t> not_queued(threads, 0);
  std::vector<std::thread> producers;
  producers.reserve(threads);
  for (std::uint64_t t = 0; t < threads; ++t) {
    producers.emplace_back([&, t] {
      start.arrive_and_wait();
      std::uint64_t failed = 0;
      for (std::uint64_t i = 0; i < per_thread; ++i) {
        failed += buffer.append(records[(t * 7919 + i) % records.size()]).is_ok() ? 0 : 1;
      }
      not_queued[t] = failed;
    });
  }
  // Where the peak is: the largest RssAnon / RssFile / RssShmem seen every 5 ms while the
  // producers run (VmHWM has no breakdown). Ring memory is shared (RssShmem or RssFile).
  std::atomic<bool> sampling{true};
  std::uint64_t max_anon = 0, max_file = 0, max_shmem = 0, max_pss = 0, max_pss_file = 0;
  std::thread sampler([&] {
    while (sampling.load()) {
      max_pss = std::max(max_pss, rollup_kib("Pss"));
      max_pss_file = std::max(max_pss_file, rollup_kib("Pss_File"));
      max_anon = std::max(max_anon, status_kib("RssAnon"));
      max_file = std::max(max_file, status_kib("RssFile"));
      max_shmem = std::max(max_shmem, status_kib("RssShmem"));
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  });
  const auto t0 = std::chrono::steady_clock::now();
  start.arrive_and_wait();
  for (auto& p : producers) p.join();
  const spool::Status flushed = buffer.flush(120'000);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const std::uint64_t hwm = status_kib("VmHWM");
  const std::uint64_t rss = status_kib("VmRSS");
  sampling.store(false);
  sampler.join();
  (void)buffer.shutdown();
  std::uint64_t failed = 0;
  for (std::uint64_t f : not_queued) failed += f;
  std::printf(
      "{\"role\":\"%s\",\"pid\":%d,\"threads\":%llu,\"spans\":%llu,\"not_queued\":%llu,\"flushed\":%s,"
      "\"queue_bytes\":%llu,\"baseline_rss_kib\":%llu,\"vm_hwm_kib\":%llu,\"vm_rss_kib\":%llu,"
      "\"hwm_over_baseline_kib\":%llu,\"max_rss_anon_kib\":%llu,\"max_rss_file_kib\":%llu,"
      "\"max_rss_shmem_kib\":%llu,\"max_pss_kib\":%llu,\"max_pss_file_kib\":%llu,\"baseline_pss_file_kib\":%llu,\"seconds\":%.3f}\n",
      role == spool::Role::kWriter ? "writer" : "attached", static_cast<int>(::getpid()),
      static_cast<unsigned long long>(threads), static_cast<unsigned long long>(threads * per_thread),
      static_cast<unsigned long long>(failed), flushed.is_ok() ? "true" : "false",
      static_cast<unsigned long long>(options.queue_bytes), static_cast<unsigned long long>(baseline_kib),
      static_cast<unsigned long long>(hwm), static_cast<unsigned long long>(rss),
      static_cast<unsigned long long>(hwm > baseline_kib ? hwm - baseline_kib : 0),
      static_cast<unsigned long long>(max_anon), static_cast<unsigned long long>(max_file),
      static_cast<unsigned long long>(max_shmem), static_cast<unsigned long long>(max_pss),
      static_cast<unsigned long long>(max_pss_file), static_cast<unsigned long long>(baseline_pss_file_kib), seconds);
  return flushed.is_ok() ? 0 : 1;
}

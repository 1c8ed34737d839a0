// forward_bench: how fast spool drains a backlog to an OTLP/HTTP collector on loopback, how
// many bytes a span costs on the wire, and what a sink outage costs in CPU.
//
//   forward_bench [--spans N] [--runs R] [--dir DIR]    drain N standard spans, R runs each of
//                                                      zstd (the default sink), gzip, none
//   forward_bench --outage-seconds S                    CPU used while the sink is down
//
// Drain: the backlog is appended once (untimed) through spool::Buffer; each run rewinds the
// cursor to the earliest offset, starts a Forwarder (default options, the OTLP/HTTP sink with
// protobuf encoding) and times it until the cursor reaches the end. The receiver (tests/
// support/otlp_receiver.h, cpp-httplib) runs in this process in count-only mode: it counts
// requests, wire bytes and records, and does not decode. Medians of the runs; the zstd ratio
// is the uncompressed run's wire bytes over the zstd run's, same backlog, same run of the
// program. The baseline in the same run is a plain scan of the backlog (read and checksum
// every record, no encoding, no network): drain throughput is reported against it.
//
// Outage: a Buffer with a backlog and a Forwarder whose collector port refuses connections,
// for S seconds; reports the process's CPU time (user + system) over that window, the
// sends attempted and the circuit state.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <optional>
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "segment/segment_log.h"
#include "spool/buffer.h"
#include "spool/callback_sink.h"
#include "spool/cursors.h"
#include "spool/forwarder.h"
#include "spool/otlp_http_sink.h"
#include "support/otlp_receiver.h"
#include "tools/standard_span.h"

namespace {

using namespace spool;
using Clock = std::chrono::steady_clock;

struct Args {
  std::uint64_t spans = 1'000'000;
  int runs = 5;
  std::string dir = SPOOL_BENCH_DEFAULT_DIR "/forward";
  int outage_seconds = 0;
  std::string only;  // run only this variant (for profiling)
};

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v.size() % 2 == 1 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

bool build_backlog(const std::string& dir, std::uint64_t spans) {
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const tools::StandardSpanSet set(tools::StandardSpanSet::kPoolSize);
  Options options;
  options.full_policy = FullPolicy::kBlock;
  auto buffer = Buffer::open(dir, options);
  if (!buffer) {
    std::fprintf(stderr, "open %s: %s\n", dir.c_str(), buffer.status().to_string().c_str());
    return false;
  }
  for (std::uint64_t i = 0; i < spans; ++i) {
    if (!(*buffer)->append(set.cyclic(i))) return false;
  }
  return (*buffer)->shutdown().is_ok();
}

// Reads and verifies every record once: the floor under any drain.
double scan_seconds(const std::string& dir, std::uint64_t* records) {
  auto log = segment::SegmentLog::open(dir, LogOptions{}, segment::OpenMode::kReadOnly);
  if (!log) return 0;
  const auto start = Clock::now();
  segment::LogReader reader = (*log)->scan(0);
  segment::RecordView view;
  std::uint64_t n = 0, bytes = 0;
  while (reader.next(&view)) {
    ++n;
    bytes += view.payload.size();
  }
  *records = n;
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return bytes > 0 ? seconds : 0;
}

struct DrainRun {
  double seconds = 0;
  std::uint64_t wire_bytes = 0;
  std::uint64_t requests = 0;
  std::uint64_t records = 0;
};

// compression == nullopt: a callback sink that accepts every batch at once (the forwarder's
// own cost: read, batch, commit; no encoding, no network).
bool drain_once(const std::string& dir, std::optional<OtlpHttpOptions::Compression> compression,
                testing::OtlpReceiver& receiver, std::uint64_t end, DrainRun* out) {
  if (!seek_cursor(dir, "bench", SeekTarget::kEarliest)) return false;
  receiver.clear();
  std::atomic<std::uint64_t> accepted{0};
  Result<std::unique_ptr<Sink>> sink = make_callback_sink([&accepted](const ForwardBatch& batch) {
    accepted.fetch_add(batch.records.size());
    return FlushResult::succeeded();
  });
  if (compression) {
    OtlpHttpOptions http;
    http.endpoint = receiver.endpoint();
    http.compression = *compression;
    sink = make_otlp_http_sink(http);
  }
  if (!sink) return false;
  ForwarderOptions options;
  options.cursor = "bench";
  const auto start = Clock::now();
  auto forwarder = Forwarder::open(dir, std::move(*sink), options);
  if (!forwarder) {
    std::fprintf(stderr, "forwarder: %s\n", forwarder.status().to_string().c_str());
    return false;
  }
  if (Status s = (*forwarder)->flush(); !s) {
    std::fprintf(stderr, "flush: %s\n", s.to_string().c_str());
    return false;
  }
  out->seconds = std::chrono::duration<double>(Clock::now() - start).count();
  const ForwarderStats stats = (*forwarder)->stats();
  (void)(*forwarder)->stop();
  out->wire_bytes = receiver.total_wire_bytes();
  out->requests = receiver.request_count();
  out->records = compression ? receiver.accepted_record_count() : accepted.load();
  return stats.cursor_offset == end;
}

int drain(const Args& args) {
  std::fprintf(stderr, "building a backlog of %llu standard spans in %s ...\n",
               static_cast<unsigned long long>(args.spans), args.dir.c_str());
  if (!build_backlog(args.dir, args.spans)) return 1;
  testing::OtlpReceiver receiver;
  receiver.set_decode(false);
  if (!receiver.start()) return 1;
  struct Variant {
    const char* name;
    std::optional<OtlpHttpOptions::Compression> compression;
    std::vector<double> rates, wire_per_span;
  };
  std::vector<Variant> variants = {{"zstd", OtlpHttpOptions::Compression::kZstd, {}, {}},
                                   {"gzip", OtlpHttpOptions::Compression::kGzip, {}, {}},
                                   {"none", OtlpHttpOptions::Compression::kNone, {}, {}},
                                   {"null", std::nullopt, {}, {}}};
  std::vector<double> scan_rates;
  for (int run = 0; run < args.runs; ++run) {
    std::uint64_t scanned = 0;
    const double scan = scan_seconds(args.dir, &scanned);
    scan_rates.push_back(scan > 0 ? static_cast<double>(scanned) / scan : 0);
    for (Variant& v : variants) {
      if (!args.only.empty() && args.only != v.name) continue;
      DrainRun r;
      if (!drain_once(args.dir, v.compression, receiver, args.spans, &r) || r.records != args.spans) {
        std::fprintf(stderr, "run %d %s: drain failed (%llu of %llu records)\n", run, v.name,
                     static_cast<unsigned long long>(r.records), static_cast<unsigned long long>(args.spans));
        return 1;
      }
      v.rates.push_back(static_cast<double>(args.spans) / r.seconds);
      v.wire_per_span.push_back(static_cast<double>(r.wire_bytes) / static_cast<double>(args.spans));
      std::fprintf(stderr, "run %d %-4s %9.0f spans/s  %7.1f B/span on the wire  %llu requests\n", run, v.name,
                   v.rates.back(), v.wire_per_span.back(), static_cast<unsigned long long>(r.requests));
    }
  }
  const double scan_rate = median(scan_rates);
  std::printf("drain of %llu standard spans to OTLP/HTTP (protobuf) on loopback, medians of %d runs\n",
              static_cast<unsigned long long>(args.spans), args.runs);
  std::printf("%-8s %12s %14s %12s\n", "encoding", "spans/s", "wire B/span", "vs scan");
  for (const Variant& v : variants) {
    std::printf("%-8s %12.0f %14.1f %11.2fx\n", v.name, median(v.rates), median(v.wire_per_span),
                median(v.rates) / scan_rate);
  }
  std::printf("%-8s %12.0f %14s %12s\n", "scan", scan_rate, "-", "1.00x");
  std::printf("(null: a callback sink that accepts at once, the forwarder alone; scan: read and verify every record)\n");
  const double none = median(variants[2].wire_per_span);
  std::printf("zstd ratio (uncompressed OTLP bytes / zstd bytes): %.2fx\n", none / median(variants[0].wire_per_span));
  std::printf("gzip ratio: %.2fx\n", none / median(variants[1].wire_per_span));
  const double rate = median(variants[0].rates);
  std::printf("goal drain >= 500k spans/s: %s; goal zstd ratio >= 4x: %s\n", rate >= 500'000 ? "met" : "NOT met",
              none / median(variants[0].wire_per_span) >= 4 ? "met" : "NOT met");
  return 0;
}

int outage(const Args& args) {
  const std::uint64_t backlog = std::min<std::uint64_t>(args.spans, 100'000);
  if (!build_backlog(args.dir, backlog)) return 1;
  // A port that refuses connections: a receiver started and stopped.
  testing::OtlpReceiver receiver;
  if (!receiver.start()) return 1;
  const std::string endpoint = receiver.endpoint();
  receiver.stop();
  Options options;
  auto buffer = Buffer::open(args.dir, options);
  if (!buffer) return 1;
  OtlpHttpOptions http;
  http.endpoint = endpoint;
  auto sink = make_otlp_http_sink(http);
  if (!sink) return 1;
  ForwarderOptions fopts;
  fopts.cursor = "outage";
  auto forwarder = Forwarder::start(**buffer, std::move(*sink), fopts);
  if (!forwarder) return 1;
  const double cpu_before = cpu_seconds();
  const auto start = Clock::now();
  std::this_thread::sleep_for(std::chrono::seconds(args.outage_seconds));
  const double cpu = cpu_seconds() - cpu_before;
  const double wall = std::chrono::duration<double>(Clock::now() - start).count();
  const ForwarderStats stats = (*forwarder)->stats();
  std::printf("sink down for %.1f s with %llu spans waiting: CPU %.3f s (%.3f%% of a core), %llu sends failed, "
              "circuit %s, opened %llu times, delivered %llu, dead-lettered %llu\n",
              wall, static_cast<unsigned long long>(backlog), cpu, 100.0 * cpu / wall,
              static_cast<unsigned long long>(stats.session.failed_sends), std::string(circuit_state_name(stats.circuit)).c_str(),
              static_cast<unsigned long long>(stats.circuit_opened),
              static_cast<unsigned long long>(stats.session.delivered),
              static_cast<unsigned long long>(stats.session.dead_lettered));
  std::printf("goal < 0.5 s of CPU per minute of outage: %s (%.3f s per minute)\n",
              cpu * 60.0 / wall < 0.5 ? "met" : "NOT met", cpu * 60.0 / wall);
  (void)(*forwarder)->stop();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--spans") {
      args.spans = std::stoull(value());
    } else if (a == "--runs") {
      args.runs = std::stoi(value());
    } else if (a == "--dir") {
      args.dir = value();
    } else if (a == "--only") {
      args.only = value();
    } else if (a == "--outage-seconds") {
      args.outage_seconds = std::stoi(value());
    } else {
      std::fprintf(stderr, "usage: forward_bench [--spans N] [--runs R] [--dir DIR] [--only zstd|gzip|none|null] [--outage-seconds S]\n");
      return 2;
    }
  }
  if (args.spans == 0 || args.runs <= 0) return 2;
  return args.outage_seconds > 0 ? outage(args) : drain(args);
}

// forward_bench: how fast spool drains a backlog to an OTLP/HTTP collector on loopback and to
// Kafka, how many bytes a span costs on the wire, and what a sink outage costs in CPU.
//
//   forward_bench [--spans N] [--runs R] [--dir DIR]    drain N standard spans, R runs each of
//                                                      zstd (the default sink), gzip, none,
//                                                      null and kafka
//   forward_bench --only kafka                          the Kafka drain alone (--only takes a
//                                                      comma-separated list: --only zstd,none)
//   forward_bench --zstd-level L                        the zstd run's level (default: the
//                                                      sink's, OtlpHttpOptions::compression_level)
//   forward_bench --in-flight N                         max_in_flight_batches (default: the
//                                                      option's default)
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
// Kafka: the same backlog drained through the Kafka sink (spool/kafka_sink.h: a message per
// span, OTLP/protobuf values, zstd, idempotent producer) to librdkafka's mock cluster of 3
// brokers (tests/support/kafka_test_cluster.h: the real protocol on loopback), a new topic
// per run (4 partitions, made on first use). The cluster runs in a child process, so the
// CPU time measured in this process is spool's alone: the forwarder, the OTLP encoding and
// librdkafka's producer threads; the cluster's own CPU time is reported beside it.
//
// Outage: a Buffer with a backlog and a Forwarder whose collector port refuses connections,
// for S seconds; reports the process's CPU time (user + system) over that window, the
// sends attempted and the circuit state.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "segment/segment_log.h"
#include "spool/buffer.h"
#include "spool/callback_sink.h"
#include "spool/cursors.h"
#include "spool/forwarder.h"
#include "spool/kafka_sink.h"
#include "spool/otlp_http_sink.h"
#include "support/child_process.h"
#include "support/kafka_test_cluster.h"
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
  std::string only;  // run only these variants, comma-separated (for profiling)
  int zstd_level = OtlpHttpOptions{}.compression_level;                // --zstd-level
  std::uint32_t in_flight = ForwarderOptions{}.max_in_flight_batches;  // --in-flight
};

// Whether --only lets the variant `name` run.
bool wanted(const Args& args, std::string_view name) {
  if (args.only.empty()) return true;
  std::string_view list = args.only;
  while (!list.empty()) {
    const std::size_t comma = list.find(',');
    if (list.substr(0, comma) == name) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

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
  double cpu_seconds = 0;  // this process: forwarder, sink and the receiver's threads
  std::uint64_t wire_bytes = 0;
  std::uint64_t requests = 0;
  std::uint64_t records = 0;
};

// Starts a Forwarder on the cursor "bench" with `sink` and waits until it has caught up;
// *seconds is how long that took. Its stats after stop(), or nullopt (said on stderr).
std::optional<ForwarderStats> drain_with(const std::string& dir, std::unique_ptr<Sink> sink,
                                         std::uint32_t in_flight, double* seconds) {
  ForwarderOptions options;
  options.cursor = "bench";
  options.max_in_flight_batches = in_flight;
  const auto start = Clock::now();
  auto forwarder = Forwarder::open(dir, std::move(sink), options);
  if (!forwarder) {
    std::fprintf(stderr, "forwarder: %s\n", forwarder.status().to_string().c_str());
    return std::nullopt;
  }
  if (Status s = (*forwarder)->flush(); !s) {
    std::fprintf(stderr, "flush: %s\n", s.to_string().c_str());
    return std::nullopt;
  }
  *seconds = std::chrono::duration<double>(Clock::now() - start).count();
  const ForwarderStats stats = (*forwarder)->stats();
  (void)(*forwarder)->stop();
  return stats;
}

// compression == nullopt: a callback sink that accepts every batch at once (the forwarder's
// own cost: read, batch, commit; no encoding, no network).
bool drain_once(const std::string& dir, std::optional<OtlpHttpOptions::Compression> compression,
                int level, testing::OtlpReceiver& receiver, std::uint64_t end,
                std::uint32_t in_flight, DrainRun* out) {
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
    http.compression_level = level;
    sink = make_otlp_http_sink(http);
  }
  if (!sink) return false;
  const double cpu_before = cpu_seconds();
  const std::optional<ForwarderStats> stats =
      drain_with(dir, std::move(*sink), in_flight, &out->seconds);
  out->cpu_seconds = cpu_seconds() - cpu_before;
  if (!stats) return false;
  out->wire_bytes = receiver.total_wire_bytes();
  out->requests = receiver.request_count();
  out->records = compression ? receiver.accepted_record_count() : accepted.load();
  return stats->cursor_offset == end;
}

// librdkafka's mock cluster in a child process: its CPU time stays out of this process's.
class MockClusterProcess {
 public:
  bool start(int brokers) {
    int to_parent[2], to_child[2];
    if (::pipe(to_parent) != 0 || ::pipe(to_child) != 0) return false;
    child_ = testing::ForkedChild::start([&]() -> int {
      ::close(to_parent[0]);
      ::close(to_child[1]);
      testing::MockKafkaCluster cluster(brokers);
      const std::string line = (cluster.ok() ? cluster.bootstrap_servers() : std::string()) + "\n";
      if (::write(to_parent[1], line.data(), line.size()) != static_cast<ssize_t>(line.size()))
        return 1;
      char c;
      while (::read(to_child[0], &c, 1) > 0) {  // until the parent closes its end
      }
      return 0;
    });
    ::close(to_parent[1]);
    ::close(to_child[0]);
    keep_alive_ = to_child[1];
    std::string line;
    char c;
    while (::read(to_parent[0], &c, 1) == 1 && c != '\n') line += c;
    ::close(to_parent[0]);
    bootstrap_ = line;
    return child_.started() && !bootstrap_.empty();
  }
  ~MockClusterProcess() {
    if (keep_alive_ >= 0) ::close(keep_alive_);
    (void)child_.wait(std::chrono::milliseconds(30'000));
  }
  const std::string& bootstrap() const { return bootstrap_; }
  // The child's CPU time so far (user + system), from /proc.
  double cpu_seconds() const {
    std::FILE* f = std::fopen(("/proc/" + std::to_string(child_.pid()) + "/stat").c_str(), "r");
    if (f == nullptr) return 0;
    char buf[1024];
    const std::size_t n = std::fread(buf, 1, sizeof buf - 1, f);
    std::fclose(f);
    buf[n] = '\0';
    // Fields after the command name (which may hold spaces) start past its ')'; utime and
    // stime are fields 14 and 15, the 12th and 13th after it.
    const char* p = std::strrchr(buf, ')');
    if (p == nullptr) return 0;
    unsigned long long utime = 0, stime = 0;
    if (std::sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime,
                    &stime) != 2)
      return 0;
    return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
  }

 private:
  testing::ForkedChild child_;
  int keep_alive_ = -1;
  std::string bootstrap_;
};

struct KafkaRun {
  double seconds = 0;
  double cpu_seconds = 0;          // this process: forwarder, encoder, producer
  double cluster_cpu_seconds = 0;  // the mock cluster's process
};

bool kafka_drain_once(const std::string& dir, MockClusterProcess& cluster, int run,
                      std::uint64_t end, KafkaRun* out) {
  if (!seek_cursor(dir, "bench", SeekTarget::kEarliest)) return false;
  KafkaSinkOptions kafka;
  kafka.bootstrap_servers = cluster.bootstrap();
  kafka.topic = "spans-" + std::to_string(run);
  auto sink = make_kafka_sink(kafka);
  if (!sink) {
    std::fprintf(stderr, "kafka sink: %s\n", sink.status().to_string().c_str());
    return false;
  }
  const double cpu_before = cpu_seconds();
  const double cluster_before = cluster.cpu_seconds();
  const std::optional<ForwarderStats> stats =
      drain_with(dir, std::move(*sink), ForwarderOptions{}.max_in_flight_batches, &out->seconds);
  out->cpu_seconds = cpu_seconds() - cpu_before;
  out->cluster_cpu_seconds = cluster.cpu_seconds() - cluster_before;
  if (!stats) return false;
  if (stats->session.dead_lettered != 0) {
    std::fprintf(stderr, "kafka: %llu records dead-lettered\n",
                 static_cast<unsigned long long>(stats->session.dead_lettered));
    return false;
  }
  return stats->cursor_offset == end;
}

// The Kafka drain, R runs; medians.
int kafka_drain(const Args& args, MockClusterProcess& cluster) {
  std::vector<double> rates, cpu_us, cluster_cpu_us;
  for (int run = 0; run < args.runs; ++run) {
    KafkaRun r;
    if (!kafka_drain_once(args.dir, cluster, run, args.spans, &r)) {
      std::fprintf(stderr, "run %d kafka: drain failed\n", run);
      return 1;
    }
    const auto spans = static_cast<double>(args.spans);
    rates.push_back(spans / r.seconds);
    cpu_us.push_back(r.cpu_seconds * 1e6 / spans);
    cluster_cpu_us.push_back(r.cluster_cpu_seconds * 1e6 / spans);
    std::fprintf(stderr, "run %d kafka %9.0f spans/s  %.2f us CPU/span (cluster %.2f us)\n", run,
                 rates.back(), cpu_us.back(), cluster_cpu_us.back());
  }
  std::printf(
      "drain of %llu standard spans to Kafka (librdkafka mock cluster, 3 brokers, in another "
      "process), "
      "medians of %d runs\n",
      static_cast<unsigned long long>(args.spans), args.runs);
  std::printf("%-8s %12s %16s %20s\n", "sink", "spans/s", "CPU us/span", "cluster CPU us/span");
  std::printf("%-8s %12.0f %16.2f %20.2f\n", "kafka", median(rates), median(cpu_us),
              median(cluster_cpu_us));
  std::printf(
      "(CPU: this process, i.e. the forwarder, the OTLP encoding and librdkafka's producer; the "
      "cluster's "
      "apart)\n");
  return 0;
}

int drain(const Args& args) {
  // The cluster first, while this process has no other thread (a fork beside threads is
  // safe here, but there is no need to try).
  MockClusterProcess cluster;
  const bool kafka = wanted(args, "kafka");
  if (kafka && !cluster.start(3)) {
    std::fprintf(stderr, "the mock Kafka cluster did not start\n");
    return 1;
  }
  std::fprintf(stderr, "building a backlog of %llu standard spans in %s ...\n",
               static_cast<unsigned long long>(args.spans), args.dir.c_str());
  if (!build_backlog(args.dir, args.spans)) return 1;
  if (args.only == "kafka") return kafka_drain(args, cluster);  // nothing else: no receiver
  testing::OtlpReceiver receiver;
  receiver.set_decode(false);
  if (!receiver.start()) return 1;
  struct Variant {
    const char* name;
    std::optional<OtlpHttpOptions::Compression> compression;
    std::vector<double> rates, wire_per_span, cpu_us;
  };
  std::vector<Variant> variants = {{"zstd", OtlpHttpOptions::Compression::kZstd, {}, {}, {}},
                                   {"gzip", OtlpHttpOptions::Compression::kGzip, {}, {}, {}},
                                   {"none", OtlpHttpOptions::Compression::kNone, {}, {}, {}},
                                   {"null", std::nullopt, {}, {}, {}}};
  std::vector<double> scan_rates;
  for (int run = 0; run < args.runs; ++run) {
    std::uint64_t scanned = 0;
    const double scan = scan_seconds(args.dir, &scanned);
    scan_rates.push_back(scan > 0 ? static_cast<double>(scanned) / scan : 0);
    for (Variant& v : variants) {
      if (!wanted(args, v.name)) continue;
      DrainRun r;
      const int level = v.compression == OtlpHttpOptions::Compression::kZstd
                            ? args.zstd_level
                            : OtlpHttpOptions{}.compression_level;
      if (!drain_once(args.dir, v.compression, level, receiver, args.spans, args.in_flight, &r) ||
          r.records != args.spans) {
        std::fprintf(stderr, "run %d %s: drain failed (%llu of %llu records)\n", run, v.name,
                     static_cast<unsigned long long>(r.records), static_cast<unsigned long long>(args.spans));
        return 1;
      }
      v.rates.push_back(static_cast<double>(args.spans) / r.seconds);
      v.wire_per_span.push_back(static_cast<double>(r.wire_bytes) / static_cast<double>(args.spans));
      v.cpu_us.push_back(r.cpu_seconds * 1e6 / static_cast<double>(args.spans));
      std::fprintf(
          stderr,
          "run %d %-4s %9.0f spans/s  %7.1f B/span on the wire  %.2f us CPU/span  %llu requests\n",
          run, v.name, v.rates.back(), v.wire_per_span.back(), v.cpu_us.back(),
          static_cast<unsigned long long>(r.requests));
    }
  }
  const double scan_rate = median(scan_rates);
  std::printf(
      "drain of %llu standard spans to OTLP/HTTP (protobuf) on loopback, medians of %d runs, "
      "max_in_flight_batches %u, zstd level %d\n",
      static_cast<unsigned long long>(args.spans), args.runs, args.in_flight, args.zstd_level);
  std::printf("%-8s %12s %14s %12s %12s\n", "encoding", "spans/s", "wire B/span", "vs scan",
              "CPU us/span");
  for (const Variant& v : variants) {
    if (v.rates.empty()) continue;  // not run (--only)
    std::printf("%-8s %12.0f %14.1f %11.2fx %12.2f\n", v.name, median(v.rates),
                median(v.wire_per_span), median(v.rates) / scan_rate, median(v.cpu_us));
  }
  std::printf("%-8s %12.0f %14s %12s %12s\n", "scan", scan_rate, "-", "1.00x", "-");
  std::printf(
      "(null: a callback sink that accepts at once, the forwarder alone; scan: read every record "
      "and check its frame; CPU: this process, the receiver's threads included)\n");
  const Variant& zstd = variants[0];
  const Variant& gzip = variants[1];
  const Variant& plain = variants[2];
  const double none = median(plain.wire_per_span);
  if (!plain.rates.empty() && !zstd.rates.empty()) {
    std::printf("zstd ratio (uncompressed OTLP bytes / zstd bytes): %.2fx\n",
                none / median(zstd.wire_per_span));
  }
  if (!plain.rates.empty() && !gzip.rates.empty()) {
    std::printf("gzip ratio: %.2fx\n", none / median(gzip.wire_per_span));
  }
  if (!zstd.rates.empty()) {
    std::printf("goal drain >= 500k spans/s: %s\n",
                median(zstd.rates) >= 500'000 ? "met" : "NOT met");
  }
  if (!plain.rates.empty() && !zstd.rates.empty()) {
    std::printf("goal zstd ratio >= 4x: %s\n",
                none / median(zstd.wire_per_span) >= 4 ? "met" : "NOT met");
  }
  return kafka ? kafka_drain(args, cluster) : 0;
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
  std::printf(
      "sink down for %.1f s with %llu spans waiting: CPU %.3f s (%.3f%% of a core), %llu sends "
      "failed, "
      "circuit %s, opened %llu times, delivered %llu, dead-lettered %llu\n",
      wall, static_cast<unsigned long long>(backlog), cpu, 100.0 * cpu / wall,
      static_cast<unsigned long long>(stats.session.failed_sends),
      std::string(circuit_state_name(stats.circuit)).c_str(),
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
    } else if (a == "--zstd-level") {
      args.zstd_level = std::stoi(value());
    } else if (a == "--in-flight") {
      args.in_flight = static_cast<std::uint32_t>(std::stoul(value()));
    } else if (a == "--outage-seconds") {
      args.outage_seconds = std::stoi(value());
    } else {
      std::fprintf(stderr,
                   "usage: forward_bench [--spans N] [--runs R] [--dir DIR] [--only "
                   "zstd|gzip|none|null|kafka[,...]] [--zstd-level L] [--in-flight N] "
                   "[--outage-seconds S]\n");
      return 2;
    }
  }
  if (args.spans == 0 || args.runs <= 0) return 2;
  return args.outage_seconds > 0 ? outage(args) : drain(args);
}

// otlp_ingest_bench: how fast spoold's OTLP/HTTP receiver takes spans, and how long a sender
// waits for its acknowledgement, against how fast the agent's forwarder drains them, in
// the same run.
//
//   otlp_ingest_bench [--seconds S] [--connections C] [--spans-per-request N] [--runs R]
//                     [--ack written|committed] [--dir DIR]
//
// Each run starts an Agent (tools/spoold/agent.h, the code `spoold` runs) on a fresh log
// with one sink: an OTLP/HTTP collector on loopback (tests/support's cpp-httplib receiver in
// count-only mode: it counts, it does not decode). C load-generator threads, one keep-alive
// connection each, POST the same ExportTraceServiceRequest for S seconds: N standard spans
// (../shared/WORKLOAD.md) in protobuf, gzip'd, as an OpenTelemetry SDK's exporter sends
// them. Reported per run, medians over the runs:
//   ingest spans/s  spans acknowledged (200) / S
//   ack p50, p99    from sending a request to its 200 (the records are in the log, synced
//                   with ack committed)
//   drain spans/s   spans the forwarder delivered to the collector / the time from the
//                   first request until it delivered the last acknowledged span
// Everything runs in one process on the same cores, as an agent on a small box does.
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "engine/sinks/otlp/http_content_encoding.h"
#include "engine/sinks/otlp/otlp_protobuf_encoder.h"
#include "spool/record_encoder.h"
#include "support/otlp_receiver.h"
#include "support/test_batch.h"
#include "tools/spoold/agent.h"
#include "tools/standard_span.h"

namespace {

using namespace spool;
using Clock = std::chrono::steady_clock;

struct Args {
  int seconds = 10;
  int connections = 4;
  int spans_per_request = 512;
  int runs = 3;
  std::string ack = "committed";
  std::string dir = SPOOL_BENCH_DEFAULT_DIR "/otlp-ingest";
};

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v.size() % 2 == 1 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

// The request body every sender posts: N standard spans, OTLP/protobuf, gzip'd.
std::string request_body(int spans) {
  tools::StandardSpanSet set(static_cast<std::size_t>(spans));
  RecordEncoder encoder;
  testing::TestBatch batch;
  for (int i = 0; i < spans; ++i) batch.add(encoder.encode(set.cyclic(i)), static_cast<std::uint64_t>(i));
  engine::OtlpProtobufEncoder otlp;
  std::string body;
  otlp.encode(batch.batch(), engine::OtlpSignal::kTraces, &body);
  auto gzip = engine::HttpContentEncoder::create(engine::ContentCoding::kGzip, 1);
  auto compressed = (*gzip)->encode(body);
  return std::string(*compressed);
}

struct RunResult {
  double ingest_per_s = 0;
  double ack_p50_ms = 0;
  double ack_p99_ms = 0;
  double drain_per_s = 0;
  std::uint64_t refused = 0;
};

bool run_once(const Args& a, const std::string& body, int run, RunResult* out) {
  const std::string dir = a.dir + "/run-" + std::to_string(run);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(a.dir);
  testing::OtlpReceiver collector;
  collector.set_decode(false);
  if (!collector.start()) {
    std::fprintf(stderr, "otlp_ingest_bench: the collector cannot listen\n");
    return false;
  }
  tools::SpooldConfig config;
  config.dir = dir;
  config.otlp_listen = "127.0.0.1:0";
  config.metrics_listen = "off";
  config.ack = a.ack == "written" ? tools::AckMode::kWritten : tools::AckMode::kCommitted;
  tools::SinkConfig sink;
  sink.url = collector.endpoint();
  sink.cursor = "bench";
  config.sinks.push_back(sink);
  auto agent = tools::Agent::start(config);
  if (!agent) {
    std::fprintf(stderr, "otlp_ingest_bench: %s\n", agent.status().message().c_str());
    return false;
  }
  const int port = (*agent)->otlp_address().port;

  std::atomic<std::uint64_t> acked{0};
  std::atomic<std::uint64_t> refused{0};
  std::vector<std::vector<double>> latencies(static_cast<std::size_t>(a.connections));
  const auto start = Clock::now();
  const auto stop_at = start + std::chrono::seconds(a.seconds);
  std::vector<std::thread> senders;
  for (int c = 0; c < a.connections; ++c) {
    senders.emplace_back([&, c] {
      httplib::Client client("127.0.0.1", port);
      client.set_keep_alive(true);
      client.set_read_timeout(60, 0);
      const httplib::Headers headers{{"Content-Encoding", "gzip"}};
      while (Clock::now() < stop_at) {
        const auto sent = Clock::now();
        auto res = client.Post("/v1/traces", headers, body, "application/x-protobuf");
        const auto answered = Clock::now();
        if (res && res->status == 200) {
          acked.fetch_add(static_cast<std::uint64_t>(a.spans_per_request));
          latencies[static_cast<std::size_t>(c)].push_back(
              std::chrono::duration<double, std::milli>(answered - sent).count());
        } else {
          refused.fetch_add(1);
          std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
      }
    });
  }
  for (auto& t : senders) t.join();
  const double ingest_s = std::chrono::duration<double>(Clock::now() - start).count();
  // The drain: until the collector counted every acknowledged span (bounded).
  const auto drain_limit = Clock::now() + std::chrono::seconds(120);
  while (collector.accepted_record_count() < acked.load() && Clock::now() < drain_limit) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  const double drain_s = std::chrono::duration<double>(Clock::now() - start).count();
  std::vector<double> all;
  for (const auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  out->ingest_per_s = static_cast<double>(acked.load()) / ingest_s;
  out->ack_p50_ms = percentile(all, 0.50);
  out->ack_p99_ms = percentile(all, 0.99);
  out->drain_per_s = static_cast<double>(collector.accepted_record_count()) / drain_s;
  out->refused = refused.load();
  (void)(*agent)->shutdown();
  collector.stop();
  std::filesystem::remove_all(dir);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    const char* value = i + 1 < argc ? argv[i + 1] : nullptr;
    if (value == nullptr) {
      std::fprintf(stderr, "otlp_ingest_bench: %s needs a value\n", flag.c_str());
      return 2;
    }
    if (flag == "--seconds") a.seconds = std::atoi(value);
    else if (flag == "--connections") a.connections = std::atoi(value);
    else if (flag == "--spans-per-request") a.spans_per_request = std::atoi(value);
    else if (flag == "--runs") a.runs = std::atoi(value);
    else if (flag == "--ack") a.ack = value;
    else if (flag == "--dir") a.dir = value;
    else {
      std::fprintf(stderr, "otlp_ingest_bench: unknown flag %s\n", flag.c_str());
      return 2;
    }
    ++i;
  }
  if (a.seconds < 1 || a.connections < 1 || a.spans_per_request < 1 || a.runs < 1 ||
      (a.ack != "written" && a.ack != "committed")) {
    std::fprintf(stderr, "otlp_ingest_bench: bad arguments\n");
    return 2;
  }
  const std::string body = request_body(a.spans_per_request);
  std::printf("otlp_ingest_bench: %d connections, %d spans per request (protobuf+gzip, %zu bytes), "
              "ack %s, %d s per run\n", a.connections, a.spans_per_request, body.size(), a.ack.c_str(), a.seconds);
  std::vector<double> ingest, p50, p99, drain;
  for (int r = 0; r < a.runs; ++r) {
    RunResult result;
    if (!run_once(a, body, r, &result)) return 1;
    std::printf("run %d: ingest %.0f spans/s, ack p50 %.2f ms p99 %.2f ms, drain %.0f spans/s, refused %llu\n",
                r + 1, result.ingest_per_s, result.ack_p50_ms, result.ack_p99_ms, result.drain_per_s,
                static_cast<unsigned long long>(result.refused));
    ingest.push_back(result.ingest_per_s);
    p50.push_back(result.ack_p50_ms);
    p99.push_back(result.ack_p99_ms);
    drain.push_back(result.drain_per_s);
  }
  std::printf("median of %d: ingest %.0f spans/s, ack p50 %.2f ms, p99 %.2f ms, drain %.0f spans/s, "
              "drain/ingest %.2f\n", a.runs, median(ingest), median(p50), median(p99), median(drain),
              median(drain) / std::max(1.0, median(ingest)));
  return 0;
}

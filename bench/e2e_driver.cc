// spool_e2e: the standard workloads (../shared/WORKLOAD.md) end to end, spool beside the
// baselines in bench/baselines/, reported as one table of medians and spool's ratios.
//
//   spool_e2e [--runs 5] [--workloads 1p,2p,burst] [--systems spool,spdlog,sqlite,jsonl]
//             [--spans N] [--json FILE] [--spool-policy block|drop_newest|drop_oldest|sample]
//             (spool runs with policy block unless told otherwise, as the baselines block)
//
// Every run is a forked child process, so peak RSS is that run's own (getrusage ru_maxrss of
// the child, sent back through a pipe with the other figures). The parent never starts a
// thread and stays small, since a child's high-water mark starts at the RSS it inherits. The
// child generates the span pool, opens the system in a fresh directory under
// $SPOOL_BENCH_DIR (default <build>/bench-data), runs the producers (tools/timed_producers.h)
// and closes the system; the parent then measures the directory's allocated blocks and
// deletes it. Runs are interleaved (run 1 of every workload and system, then run 2, ...) so
// that drift of the machine over time spreads over all systems alike.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "bench/baselines/span_sink.h"
#include "bench/e2e_report.h"
#include "tools/buffer_option_names.h"
#include "tools/disk_usage.h"
#include "tools/standard_span.h"
#include "tools/timed_producers.h"

#ifndef SPOOL_BENCH_DEFAULT_DIR
#define SPOOL_BENCH_DEFAULT_DIR "bench-data"
#endif

namespace spool::bench {
namespace {

using tools::ProducerPlan;

struct Workload {
  std::string name;
  ProducerPlan plan;
};

constexpr std::uint64_t kBurstSpans = 10'000;
constexpr std::uint64_t kBursts = 20;

// The standard runs; --spans N gives 1p and 2p N spans in total and burst 20 bursts of N/20.
std::vector<Workload> standard_workloads(std::uint64_t spans_override) {
  const std::uint64_t n = spans_override != 0 ? spans_override : 1'000'000;
  const std::uint64_t burst = spans_override != 0 ? std::max<std::uint64_t>(1, n / kBursts) : kBurstSpans;
  return {
      {"1p", {1, n, 0, std::chrono::milliseconds(0)}},
      {"2p", {2, n, 0, std::chrono::milliseconds(0)}},
      {"burst", {1, burst * kBursts, burst, std::chrono::milliseconds(1000)}},
  };
}

const std::vector<std::string>& system_names() {
  static const std::vector<std::string> names{"spool", "spdlog", "sqlite", "jsonl"};
  return names;
}

Result<std::unique_ptr<SpanSink>> open_sink(const std::string& system, const std::string& dir,
                                            const Options& spool_options) {
  if (system == "spool") return open_spool_sink(dir, spool_options);
  if (system == "spdlog") return open_spdlog_sink(dir);
  if (system == "sqlite") return open_sqlite_sink(dir);
  return open_jsonl_sink(dir);
}

// What a child sends back through the pipe: plain bytes, no pointers.
struct ChildReport {
  double seconds = 0;
  std::uint64_t not_queued = 0;
  std::uint64_t dropped = 0;
  tools::LatencySummary latency;
  std::uint64_t peak_rss_kib = 0;
  std::uint64_t floor_rss_kib = 0;  // before the system was opened: the driver's own share
  char error[256] = {};
};

std::uint64_t max_rss_kib() {
  struct rusage ru;
  ::getrusage(RUSAGE_SELF, &ru);
  return static_cast<std::uint64_t>(ru.ru_maxrss);
}

ChildReport run_in_child(const std::string& system, const Workload& w, const std::string& dir,
                         const Options& spool_options) {
  ChildReport report;
  auto fail = [&](const std::string& message) {
    std::snprintf(report.error, sizeof report.error, "%s", message.c_str());
    return report;
  };
  const tools::StandardSpanSet spans(std::min<std::uint64_t>(w.plan.spans, tools::StandardSpanSet::kPoolSize));
  report.floor_rss_kib = max_rss_kib();
  auto sink = open_sink(system, dir, spool_options);
  if (!sink) return fail(sink.status().to_string());
  Status flushed;
  const tools::ProducerRun run = tools::run_timed_producers(
      spans, w.plan, [&](const Span& span) { return (*sink)->append(span); },
      [&] { flushed = (*sink)->flush_and_wait(); });
  if (!flushed) return fail("flush: " + flushed.to_string());
  report.seconds = run.seconds;
  report.not_queued = run.not_queued;
  report.dropped = (*sink)->dropped();
  report.latency = run.latency;
  sink->reset();  // closing is part of the system's footprint, not of its throughput
  report.peak_rss_kib = max_rss_kib();
  return report;
}

bool write_all(int fd, const void* data, std::size_t size) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t n = ::write(fd, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

// One run in a forked child; the parent then measures and deletes the directory.
RunResult run_forked(const std::string& system, const Workload& w, const std::string& dir,
                     const Options& spool_options, int index) {
  RunResult r;
  r.system = system;
  r.workload = w.name;
  r.run = index;
  r.spans = w.plan.spans;
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    r.error = "cannot create " + dir + ": " + ec.message();
    return r;
  }
  ::sync();  // earlier runs' writeback should not land in this one
  int fds[2];
  if (::pipe(fds) != 0) {
    r.error = std::string("pipe: ") + std::strerror(errno);
    return r;
  }
  std::fflush(nullptr);  // nothing buffered may be written twice
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    const ChildReport report = run_in_child(system, w, dir, spool_options);
    _exit(write_all(fds[1], &report, sizeof report) ? 0 : 1);
  }
  ::close(fds[1]);
  ChildReport report;
  std::size_t got = 0;
  while (pid > 0 && got < sizeof report) {
    const ssize_t n = ::read(fds[0], reinterpret_cast<char*>(&report) + got, sizeof report - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  ::close(fds[0]);
  int status = 0;
  if (pid < 0) {
    r.error = std::string("fork: ") + std::strerror(errno);
  } else if (::waitpid(pid, &status, 0) < 0 || got != sizeof report) {
    r.error = WIFSIGNALED(status) ? "child killed by signal " + std::to_string(WTERMSIG(status))
                                  : "child exited without a report";
  } else if (report.error[0] != '\0') {
    r.error = report.error;
  }
  r.seconds = report.seconds;
  r.accepted = r.spans - report.not_queued;
  r.system_dropped = report.dropped;
  r.latency = report.latency;
  r.peak_rss_kib = report.peak_rss_kib;
  r.floor_rss_kib = report.floor_rss_kib;
  if (auto usage = tools::disk_usage(dir)) {
    r.allocated_bytes = usage->allocated_bytes;
    r.file_bytes = usage->file_bytes;
  }
  std::filesystem::remove_all(dir, ec);
  return r;
}

// CPU the system burns while idle: a child appends 10,000 spans, flushes, then sleeps 3 s;
// returns its process CPU time (user + system) during the sleep, in ms per second, or < 0
// on failure. spool's goal: about 0 (the writer sleeps on a futex; its only timer is the
// memory check once a second).
double measure_idle_cpu_ms_per_s(const std::string& system, const std::string& dir, const Options& spool_options) {
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  std::filesystem::create_directories(dir, ec);
  int fds[2];
  if (ec || ::pipe(fds) != 0) return -1;
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    double result = -1;
    const tools::StandardSpanSet spans(10'000);
    auto sink = open_sink(system, dir, spool_options);
    if (sink) {
      for (const Span& span : spans.spans()) (void)(*sink)->append(span);
      (void)(*sink)->flush_and_wait();
      auto cpu_ns = [] {
        struct rusage ru;
        ::getrusage(RUSAGE_SELF, &ru);
        return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e9 + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e3;
      };
      const double before = cpu_ns();
      ::sleep(3);
      result = (cpu_ns() - before) / 1e6 / 3.0;
    }
    _exit(write_all(fds[1], &result, sizeof result) ? 0 : 1);
  }
  ::close(fds[1]);
  double result = -1;
  if (pid < 0 || ::read(fds[0], &result, sizeof result) != sizeof result) result = -1;
  ::close(fds[0]);
  if (pid > 0) ::waitpid(pid, nullptr, 0);
  std::filesystem::remove_all(dir, ec);
  return result;
}

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> items;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    if (comma > start) items.push_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  return items;
}

std::string bench_root() {
  const char* env = std::getenv("SPOOL_BENCH_DIR");
  std::string root = env != nullptr && *env != '\0' ? env : SPOOL_BENCH_DEFAULT_DIR;
  return root + "/e2e-" + std::to_string(::getpid());
}

}  // namespace
}  // namespace spool::bench

int main(int argc, char** argv) {
  using namespace spool::bench;
  CLI::App app{"spool_e2e: standard span workloads, spool beside its baselines"};
  int runs = 5;
  std::string workload_list = "1p,2p,burst";
  std::string system_list = "spool,spdlog,sqlite,jsonl";
  std::uint64_t spans = 0;
  std::string json_path;
  // Durability none (the library's default); full policy block, like the baselines (spdlog's
  // async queue blocks, the JSONL and SQLite buffers never refuse), so every system writes
  // every span and spans/s compare like with like.
  spool::Options spool_options;
  spool_options.full_policy = spool::FullPolicy::kBlock;
  spool_options.block_timeout_ms = 60'000;
  app.add_option("--runs", runs, "Runs of each workload and system; medians are reported")
      ->check(CLI::Range(1, 1000));
  app.add_option("--workloads", workload_list, "Comma-separated: 1p, 2p, burst");
  app.add_option("--systems", system_list, "Comma-separated: spool, spdlog, sqlite, jsonl");
  app.add_option("--spans", spans,
                 "Spans per run instead of the standard counts (quick runs; burst: 20 bursts "
                 "of N/20)")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1} << 32));
  app.add_option("--json", json_path, "Also write every run's raw figures as JSON lines here");
  app.add_option("--spool-policy", spool_options.full_policy,
                 "spool's full-queue policy (default: block, as the baselines do)")
      ->transform(spool::tools::one_of_names(spool::tools::full_policy_names()));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);  // prints help, or the error and a hint
    return code == 0 ? 0 : 2;      // one exit code for bad usage, like spoolctl
  }

  std::vector<Workload> workloads;
  std::vector<std::string> workload_names;
  for (const std::string& name : split_list(workload_list)) {
    bool found = false;
    for (const Workload& w : standard_workloads(spans)) {
      if (w.name == name) {
        workloads.push_back(w);
        workload_names.push_back(w.name);
        found = true;
      }
    }
    if (!found) {
      std::fprintf(stderr, "spool_e2e: unknown workload '%s' (1p, 2p, burst)\n", name.c_str());
      return 2;
    }
  }
  std::vector<std::string> chosen = split_list(system_list);
  for (const std::string& s : chosen) {
    if (std::find(system_names().begin(), system_names().end(), s) == system_names().end()) {
      std::fprintf(stderr, "spool_e2e: unknown system '%s' (spool, spdlog, sqlite, jsonl)\n",
                   s.c_str());
      return 2;
    }
  }
  std::ofstream json_out;
  if (!json_path.empty()) {
    json_out.open(json_path, std::ios::trunc);
    if (!json_out) {
      std::fprintf(stderr, "spool_e2e: cannot write %s\n", json_path.c_str());
      return 2;
    }
  }

  const std::string root = bench_root();
  std::filesystem::create_directories(root);
  print_environment(root, runs);
  std::printf("== spool: Buffer default options; full policy %s, durability %s\n",
              spool::tools::name_of(spool::tools::full_policy_names(), spool_options.full_policy).c_str(),
              spool::tools::name_of(spool::tools::durability_names(), spool_options.log.durability).c_str());

  std::vector<RunResult> results;
  for (int run = 1; run <= runs; ++run) {
    for (const Workload& w : workloads) {
      for (const std::string& system : chosen) {
        RunResult r =
            run_forked(system, w, root + "/" + system + "-" + w.name, spool_options, run);
        print_progress(r, runs);
        if (json_out) json_out << run_json(r) << '\n' << std::flush;
        results.push_back(std::move(r));
      }
    }
  }
  print_table(results, chosen, workload_names);
  std::printf("\nidle CPU (process user+sys during 3 s of idle after 10,000 spans and a flush):\n");
  for (const std::string& system : chosen) {
    const double ms = measure_idle_cpu_ms_per_s(system, root + "/" + system + "-idle", spool_options);
    std::printf("  %-8s %8.3f ms per s (%.3f%% of a core)\n", system.c_str(), ms, ms / 10.0);
  }
  std::error_code ec;
  std::filesystem::remove_all(root, ec);
  return std::any_of(results.begin(), results.end(), [](const RunResult& r) { return !r.error.empty(); })
             ? 1
             : 0;
}

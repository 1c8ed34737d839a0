#include "bench/e2e_report.h"

#include <linux/magic.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

namespace spool::bench {

namespace {

constexpr double kGoalRatio = 5.0;  // 1p throughput: spool >= 5x the best baseline

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t mid = v.size() / 2;
  return v.size() % 2 == 1 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

// 12,345,678 (digits grouped, so that rates of different systems read at a glance).
std::string grouped(double value) {
  const std::string digits = std::to_string(static_cast<long long>(value + 0.5));
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

struct Medians {
  int runs = 0;  // successful runs the medians are of
  std::string error;  // the first failure, when no run succeeded
  double spans_per_s = 0, p50 = 0, p99 = 0, p999 = 0, max = 0, rss_mib = 0, floor_mib = 0,
         bytes_per_span = 0, not_accepted = 0;
};

Medians medians_of(const std::vector<RunResult>& results, const std::string& system,
                   const std::string& workload) {
  Medians m;
  std::vector<const RunResult*> ok;
  for (const RunResult& r : results) {
    if (r.system != system || r.workload != workload) continue;
    if (r.error.empty()) {
      ok.push_back(&r);
    } else if (m.error.empty()) {
      m.error = r.error;
    }
  }
  m.runs = static_cast<int>(ok.size());
  auto med = [&](const std::function<double(const RunResult&)>& f) {
    std::vector<double> v;
    for (const RunResult* r : ok) v.push_back(f(*r));
    return median(std::move(v));
  };
  m.spans_per_s = med([](const RunResult& r) { return r.spans_per_s(); });
  m.p50 = med([](const RunResult& r) { return double(r.latency.p50_ns); });
  m.p99 = med([](const RunResult& r) { return double(r.latency.p99_ns); });
  m.p999 = med([](const RunResult& r) { return double(r.latency.p999_ns); });
  m.max = med([](const RunResult& r) { return double(r.latency.max_ns); });
  m.rss_mib = med([](const RunResult& r) { return r.peak_rss_kib / 1024.0; });
  m.floor_mib = med([](const RunResult& r) { return r.floor_rss_kib / 1024.0; });
  m.bytes_per_span = med([](const RunResult& r) { return r.bytes_per_span(); });
  m.not_accepted = med([](const RunResult& r) { return double(r.spans - r.accepted); });
  return m;
}

std::string filesystem_name(const std::string& dir) {
  struct statfs fs;
  if (::statfs(dir.c_str(), &fs) != 0) return "unknown";
  switch (static_cast<unsigned long>(fs.f_type)) {
    case EXT4_SUPER_MAGIC: return "ext4";
    case TMPFS_MAGIC: return "tmpfs";
    case BTRFS_SUPER_MAGIC: return "btrfs";
    case XFS_SUPER_MAGIC: return "xfs";
    case OVERLAYFS_SUPER_MAGIC: return "overlayfs";
    default: return "other";
  }
}

std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::string a, b, c;
  in >> a >> b >> c;
  return a + " " + b + " " + c;
}

}  // namespace

void print_environment(const std::string& bench_dir, int runs) {
  const std::string fs = filesystem_name(bench_dir);
  std::printf("== spool_e2e: %d run(s) per workload and system, medians reported\n", runs);
  std::printf("== load average %s on %u cores; bench dir %s (%s)\n", load_average().c_str(),
              std::thread::hardware_concurrency(), bench_dir.c_str(), fs.c_str());
  if (fs == "tmpfs") {
    std::printf("== WARNING: tmpfs is memory, not a disk; set SPOOL_BENCH_DIR to a disk\n");
  }
  std::fflush(stdout);
}

void print_progress(const RunResult& r, int runs) {
  if (!r.error.empty()) {
    std::fprintf(stderr, "run %d/%d %-6s %-6s FAILED: %s\n", r.run, runs, r.workload.c_str(),
                 r.system.c_str(), r.error.c_str());
    return;
  }
  std::fprintf(stderr, "run %d/%d %-6s %-6s %12s spans/s  p99 %llu ns  %.0f MiB\n", r.run, runs,
               r.workload.c_str(), r.system.c_str(), grouped(r.spans_per_s()).c_str(),
               static_cast<unsigned long long>(r.latency.p99_ns), r.peak_rss_kib / 1024.0);
}

std::string run_json(const RunResult& r) {
  nlohmann::ordered_json j;
  j["system"] = r.system;
  j["workload"] = r.workload;
  j["run"] = r.run;
  j["spans"] = r.spans;
  j["accepted"] = r.accepted;
  j["system_dropped"] = r.system_dropped;
  j["seconds"] = r.seconds;
  j["spans_per_s"] = r.spans_per_s();
  j["p50_ns"] = r.latency.p50_ns;
  j["p99_ns"] = r.latency.p99_ns;
  j["p999_ns"] = r.latency.p999_ns;
  j["max_ns"] = r.latency.max_ns;
  j["peak_rss_kib"] = r.peak_rss_kib;
  j["floor_rss_kib"] = r.floor_rss_kib;
  j["allocated_bytes"] = r.allocated_bytes;
  j["file_bytes"] = r.file_bytes;
  j["bytes_per_span"] = r.bytes_per_span();
  if (!r.error.empty()) j["error"] = r.error;
  return j.dump();
}

void print_table(const std::vector<RunResult>& results, const std::vector<std::string>& systems,
                 const std::vector<std::string>& workloads) {
  std::printf("\n%-8s %-8s %13s %9s %9s %9s %11s %9s %8s %8s\n", "system", "workload",
              "spans/s", "p50 ns", "p99 ns", "p99.9 ns", "max ns", "RSS MiB", "B/span",
              "dropped");
  std::printf("%s\n", std::string(100, '-').c_str());
  double floor_mib = 0;
  for (const std::string& w : workloads) {
    for (const std::string& s : systems) {
      const Medians m = medians_of(results, s, w);
      if (m.runs == 0) {
        std::printf("%-8s %-8s failed: %s\n", s.c_str(), w.c_str(), m.error.c_str());
        continue;
      }
      floor_mib = std::max(floor_mib, m.floor_mib);
      std::printf("%-8s %-8s %13s %9.0f %9.0f %9.0f %11.0f %9.1f %8.0f %8.0f\n", s.c_str(),
                  w.c_str(), grouped(m.spans_per_s).c_str(), m.p50, m.p99, m.p999, m.max,
                  m.rss_mib, m.bytes_per_span, m.not_accepted);
    }
  }
  std::printf(
      "\nspans/s: spans that reached the file or log, from the first append until\n"
      "flush_and_wait returned (page cache; no system fsyncs); burst excludes its 1 s idle\n"
      "pauses (WORKLOAD.md: its throughput does not matter, its latencies do).\n"
      "Latencies: steady_clock around each append (clock reads included), all threads merged.\n"
      "RSS: the run's child process peak; up to %.1f MiB of it is the driver's own (binary,\n"
      "span pool) before the system opened, plus 8 bytes per span of latency samples.\n"
      "B/span: allocated blocks (st_blocks * 512) of the run's directory after the system\n"
      "closed, per span; spool's count includes the unused, preallocated part of its active\n"
      "64 MiB segment. dropped: appends that did not take the span (spool runs with policy\n"
      "block here, like the baselines, so this is 0 unless --spool-policy says otherwise).\n",
      floor_mib);

  if (std::find(systems.begin(), systems.end(), "spool") == systems.end()) return;
  std::vector<std::string> baselines;
  for (const std::string& s : systems) {
    if (s != "spool") baselines.push_back(s);
  }
  if (baselines.empty()) return;
  std::printf("\nspool spans/s / baseline spans/s (medians)\n%-9s", "workload");
  for (const std::string& b : baselines) std::printf(" %9s", b.c_str());
  std::printf("\n");
  double goal_ratio = -1;
  for (const std::string& w : workloads) {
    const Medians spool = medians_of(results, "spool", w);
    double best = 0;
    std::printf("%-9s", w.c_str());
    for (const std::string& b : baselines) {
      const Medians base = medians_of(results, b, w);
      best = std::max(best, base.spans_per_s);
      if (spool.runs == 0 || base.runs == 0 || base.spans_per_s <= 0) {
        std::printf(" %9s", "-");
      } else {
        std::printf(" %8.1fx", spool.spans_per_s / base.spans_per_s);
      }
    }
    std::printf("\n");
    if (w == "1p" && spool.runs > 0 && best > 0) goal_ratio = spool.spans_per_s / best;
  }
  if (goal_ratio >= 0) {
    std::printf("\ngoal: 1p throughput >= %.0fx best baseline: %.1fx -> %s\n", kGoalRatio,
                goal_ratio, goal_ratio >= kGoalRatio ? "met" : "NOT met");
  }
  std::fflush(stdout);
}

}  // namespace spool::bench

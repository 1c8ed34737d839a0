// What spool_e2e measured per run, and how it prints it: progress lines on stderr, the
// table of medians with spool's ratios on stdout, raw runs as JSON lines.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tools/timed_producers.h"

namespace spool::bench {

struct RunResult {
  std::string system;
  std::string workload;
  int run = 0;
  std::uint64_t spans = 0;       // appended
  std::uint64_t accepted = 0;    // appends that returned true
  std::uint64_t system_dropped = 0;  // drops the system itself counted (spool's stats)
  double seconds = 0;            // first append .. flush_and_wait returned, idle excluded
  tools::LatencySummary latency;
  std::uint64_t peak_rss_kib = 0;
  std::uint64_t floor_rss_kib = 0;  // the child before the system opened (span pool, binary)
  std::uint64_t allocated_bytes = 0;  // st_blocks * 512 of the run's directory, after close
  std::uint64_t file_bytes = 0;       // sum of st_size, for comparison
  std::string error;                  // non-empty: the run failed and is left out

  // Spans that reached the file or log, per second.
  double spans_per_s() const { return seconds > 0 ? static_cast<double>(accepted) / seconds : 0; }
  double bytes_per_span() const {
    return accepted > 0 ? static_cast<double>(allocated_bytes) / static_cast<double>(accepted) : 0;
  }
};

// Machine load, cores and the filesystem of the bench directory (warns on tmpfs).
void print_environment(const std::string& bench_dir, int runs);
// One line on stderr per finished run.
void print_progress(const RunResult& r, int runs);
// Every field of one run as a single-line JSON object.
std::string run_json(const RunResult& r);
// The table of medians (rows system x workload, in the given orders), spool's throughput
// ratios to each baseline per workload, and the 1p goal line.
void print_table(const std::vector<RunResult>& results, const std::vector<std::string>& systems,
                 const std::vector<std::string>& workloads);

}  // namespace spool::bench

// spoolctl health DIR [--cap-bytes N] [--max-lag-s S]
//
// The health checks of spool::evaluate_health over a log on disk, for monitoring scripts and
// container probes: "healthy" and exit 0, or one "warning: <code>: <message>" line per problem
// and exit 1. What a log on disk can tell: its size against a cap (the retention cap it runs
// with, given here since the log does not record it), the oldest record some cursor has not
// forwarded yet (the worst cursor), the latest forwarding error over all cursors, and the
// share of failed sends in the cursors' persisted totals. The in-memory checks (queue fill,
// write backlog) need the producing process and are not made here.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "segment/log_marker.h"
#include "spool/cursors.h"
#include "spool/health.h"
#include "spool/lane_options.h"
#include "spool/lanes.h"
#include "tools/cli_numbers.h"
#include "tools/commands/commands.h"
#include "tools/exit_codes.h"
#include "tools/log_directory.h"

namespace spool::tools {

namespace {

constexpr std::string_view kName = "health";

// Exit status when a check warns.
constexpr int kExitUnhealthy = 1;

// A week: anything above is a typo (and would overflow the threshold in ns).
constexpr double kMaxLagSeconds = 7 * 24 * 3600.0;

struct HealthArgs {
  std::string dir;
  std::string lane;  // empty: every lane
  std::optional<std::uint64_t> cap_bytes;
  std::optional<double> max_lag_s;
};

std::int64_t wall_clock_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

HealthInputs health_inputs(const LogSummary& summary, const HealthArgs& args) {
  HealthInputs in;
  in.now_ns = wall_clock_ns();
  in.disk_bytes = summary.size_bytes;
  in.disk_cap_bytes = args.cap_bytes.value_or(0);
  std::uint64_t batches = 0, failed_sends = 0;
  for (const CursorInfo& c : summary.cursors) {
    if (c.lag.oldest_age_ns > in.oldest_unforwarded_age_ns) {
      in.oldest_unforwarded_age_ns = c.lag.oldest_age_ns;
      in.oldest_unforwarded_cursor = c.name;
    }
    if (c.totals.last_error_ns > in.last_error_ns) {
      in.last_error_ns = c.totals.last_error_ns;
      in.last_error = c.totals.last_error;
    }
    // The daily cap only: whether the rate limit held sends back is known to the forwarder.
    in.bandwidth.push_back(BandwidthHealthInputs{c.name, c.bandwidth.daily_cap_bytes,
                                                 c.bandwidth.critical_reserve_bytes,
                                                 c.bandwidth.spent_on(utc_day(in.now_ns)), 0, 0});
    batches += c.totals.batches;
    failed_sends += c.totals.failed_sends;
  }
  in.sends = batches + failed_sends;
  in.failure_rate =
      in.sends > 0 ? static_cast<double>(failed_sends) / static_cast<double>(in.sends) : 0.0;
  return in;
}

int run_health(const HealthArgs& args) {
  if (args.cap_bytes && *args.cap_bytes == 0) {
    return report_error(kName, "--cap-bytes must be at least 1");
  }
  if (args.max_lag_s && !(*args.max_lag_s >= 0 && *args.max_lag_s <= kMaxLagSeconds)) {
    return report_error(kName, "--max-lag-s must be between 0 and " +
                                   std::to_string(static_cast<long long>(kMaxLagSeconds)));
  }
  Status s = require_existing_log(args.dir);
  if (!s) return report_error(kName, s);
  HealthThresholds thresholds;
  if (args.max_lag_s) {
    thresholds.oldest_unforwarded_ms = static_cast<std::int64_t>(std::llround(*args.max_lag_s * 1000.0));
  }
  // Every lane (lane_options.h), each a log of its own: the default lane against --cap-bytes,
  // the others against the cap their marker records.
  HealthReport report;
  const std::vector<std::string> lanes =
      args.lane.empty() ? list_lanes(args.dir) : std::vector<std::string>{args.lane};
  for (const std::string& lane : lanes) {
    auto lane_dir = find_lane_directory(args.dir, lane);
    if (!lane_dir) return report_error(kName, lane_dir.status());
    auto summary = summarize_log(*lane_dir);
    if (!summary) return report_error(kName, summary.status());
    HealthInputs in = health_inputs(*summary, args);
    if (lane != kDefaultLane) {
      auto recorded = segment::log_options_from_marker(*lane_dir);
      in.disk_cap_bytes = recorded ? recorded->retention_bytes : 0;
    }
    for (HealthWarning& w : evaluate_health(in, thresholds).warnings) {
      if (lane != kDefaultLane) w.message = "lane '" + lane + "': " + w.message;
      report.warnings.push_back(std::move(w));
    }
  }
  std::string out;
  if (report.healthy()) {
    out = "healthy\n";
  } else {
    for (const HealthWarning& w : report.warnings) out += "warning: " + w.code + ": " + w.message + "\n";
  }
  if (std::fwrite(out.data(), 1, out.size(), stdout) != out.size() || std::fflush(stdout) != 0) {
    return report_error(kName, "cannot write to standard output");
  }
  return report.healthy() ? kExitOk : kExitUnhealthy;
}

}  // namespace

Command add_health_command(CLI::App& app) {
  auto args = std::make_shared<HealthArgs>();
  CLI::App* cmd = app.add_subcommand(
      std::string(kName),
      "Check the log and its forwarding: print 'healthy' (exit 0) or one warning per line (exit 1)");
  cmd->add_option("DIR", args->dir, "Log directory")->required();
  cmd->add_option("--lane", args->lane,
                  "Check only this lane (default: every lane of the directory)")
      ->type_name("NAME");
  cmd->add_option("--cap-bytes", args->cap_bytes,
                  "Warn (buffer_fill) when the log's data is above 90% of this size, e.g. "
                  "1073741824 or 1GiB (default: no size check)")
      ->transform(byte_size_validator())
      ->type_name("N");
  cmd->add_option("--max-lag-s", args->max_lag_s,
                  "Warn (forward_lag) when a cursor's oldest unforwarded record is older than "
                  "this many seconds (default 300; fractions allowed)")
      ->type_name("S");
  cmd->footer(
      "Warnings, one per line: 'warning: <code>: <message>' with code buffer_fill, forward_lag, "
      "recent_error (a forwarding error in the last 60 s) or failure_rate (more than 10% of at "
      "least 10 sends failed, over the cursors' totals) or daily_cap_reached (a cursor spent its "
      "daily byte cap but the reserve for critical records, or all of it, today, UTC).\n"
      "Every lane is checked (each a log of its own; a lane's warnings start \"lane 'NAME': \"; "
      "a lane other than the default is checked against the size cap it was opened with).\n"
      "Reads without the lock: safe on a log another process has open.\n"
      "Exit status: 0 healthy, 1 warnings, 2 on error (missing directory, damaged cursor file).");
  return {cmd, [args] { return run_health(*args); }};
}

}  // namespace spool::tools

// spoolctl stats DIR
//
// One JSON object describing a log and its forwarding: the log's extent and size, every
// cursor's lag and lifetime totals (persisted with the cursor by the forwarder), and the
// dead letters set aside. Everything is read without the directory lock, so it works on a
// log that a writer or forwarder has open (figures are then a moment's snapshot).
#include <time.h>

#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "engine/produce/lane_settings.h"
#include "io/clock.h"
#include "spool/cursors.h"
#include "spool/lane_options.h"
#include "spool/lanes.h"
#include "spool/producers.h"
#include "tools/commands/commands.h"
#include "tools/exit_codes.h"
#include "tools/log_directory.h"
#include "tools/report_json.h"
#include "tools/time_text.h"

namespace spool::tools {

namespace {

constexpr std::string_view kName = "stats";

using Json = nlohmann::ordered_json;

struct StatsArgs {
  std::string dir;
  std::string lane;  // empty: the default lane at the top, every lane under "lanes"
};

// The writer and every producer (producers.h).
void add_producers(const ProducersSummary& p, Json* j) {
  if (p.writer) {
    Json w;
    w["pid"] = p.writer->pid;
    w["since"] = report::iso8601_utc_or_null(p.writer->since_ns);
    w["generation"] = p.writer->generation;
    w["written_offset"] = p.writer->written_offset;
    w["committed_offset"] = p.writer->committed_offset;
    (*j)["writer"] = std::move(w);
  } else {
    (*j)["writer"] = nullptr;
  }
  Json list = Json::array();
  for (const ProducerInfo& info : p.producers) {
    Json one;
    one["producer"] = info.producer;
    one["pid"] = info.pid;
    one["tid"] = info.tid;
    one["role"] = info.role;
    one["alive"] = info.alive;
    one["died_mid_entry"] = info.died_mid_entry;
    one["sealed"] = info.sealed;
    one["ring"] = info.ring.empty() ? Json(nullptr) : Json(info.ring);
    one["ring_bytes"] = info.ring_bytes;
    one["ring_fill"] = info.fill;
    one["appended"] = info.appended;
    one["written"] = info.written;
    one["malformed"] = info.malformed;
    one["dropped"] = dropped_by_reason_json(info.dropped);
    list.push_back(std::move(one));
  }
  (*j)["producers"] = std::move(list);
  (*j)["producers_died"] = p.producers_died;
  (*j)["producer_died"] = p.producer_died;
  (*j)["malformed"] = p.malformed;
  (*j)["ring_bytes"] = p.ring_bytes_total;
  (*j)["queue_budget_bytes"] = p.budget_bytes;
}

Json stats_json(const LogSummary& summary, std::int64_t now_ns) {
  Json log;
  log["log_id"] = hex_id(summary.log_id);
  log["first_offset"] = summary.first_offset;
  log["next_offset"] = summary.next_offset;
  log["records"] = summary.records;
  log["size_bytes"] = summary.size_bytes;
  log["segments"] = summary.segments;

  Json cursors = Json::array();
  for (const CursorInfo& c : summary.cursors) {
    Json cursor;
    cursor["name"] = c.name;
    cursor["next_offset"] = c.next_offset;
    cursor["settled_ahead"] = c.settled_ahead;
    Json lag;
    lag["records"] = c.lag.records;
    lag["bytes"] = c.lag.bytes;
    lag["oldest_age_s"] = c.lag.oldest_age_ns > 0 ? static_cast<double>(c.lag.oldest_age_ns) / 1e9 : 0.0;
    cursor["lag"] = std::move(lag);
    cursor["totals"] = report::forward_totals_json(c.totals);
    cursor["bandwidth"] = report::bandwidth_usage_json(c.bandwidth, utc_day(now_ns));
    cursors.push_back(std::move(cursor));
  }

  Json dead_letters;
  dead_letters["total"] = summary.dead_letters;
  dead_letters["pending"] = summary.dead_letters_pending;
  dead_letters["dropped_by_retention"] = summary.dead_letters_dropped;

  Json j;
  j["log"] = std::move(log);
  j["cursors"] = std::move(cursors);
  j["dead_letters"] = std::move(dead_letters);
  return j;
}

// The stats of the log in `dir` (one lane's directory).
Result<Json> log_stats(const std::string& dir, std::int64_t now_ns) {
  auto summary = summarize_log(dir);
  if (!summary) return summary.status();
  auto producers = summarize_producers(dir);
  if (!producers) return producers.status();
  Json j = stats_json(*summary, now_ns);
  add_producers(*producers, &j);
  return j;
}

int run_stats(const StatsArgs& args) {
  Status s = require_existing_log(args.dir);
  if (!s) return report_error(kName, s);
  const std::int64_t now = io::wall_clock_ns();
  Json j;
  if (!args.lane.empty()) {
    auto lane_dir = find_lane_directory(args.dir, args.lane);
    if (!lane_dir) return report_error(kName, lane_dir.status());
    auto one = log_stats(*lane_dir, now);
    if (!one) return report_error(kName, one.status());
    j = std::move(*one);
    j["lane"] = args.lane;
  } else {
    Json lanes = Json::array();
    for (const std::string& name : list_lanes(args.dir)) {
      auto lane_dir = find_lane_directory(args.dir, name);
      if (!lane_dir) return report_error(kName, lane_dir.status());
      auto one = log_stats(*lane_dir, now);
      if (!one) return report_error(kName, engine::lane_status(name, one.status()));
      Json entry;
      entry["name"] = name;
      entry["dir"] = *lane_dir;
      entry.update(*one);
      if (name == kDefaultLane) j = std::move(*one);
      lanes.push_back(std::move(entry));
    }
    j["lanes"] = std::move(lanes);
  }
  // Error texts come from sinks and receivers: show bytes that are not UTF-8 as U+FFFD.
  std::printf("%s\n", j.dump(-1, ' ', false, Json::error_handler_t::replace).c_str());
  if (std::fflush(stdout) != 0) return report_error(kName, "cannot write to standard output");
  return kExitOk;
}

}  // namespace

Command add_stats_command(CLI::App& app) {
  auto args = std::make_shared<StatsArgs>();
  CLI::App* cmd = app.add_subcommand(
      std::string(kName),
      "Print the log's extent, every cursor's lag and forwarding totals, and dead letters as JSON");
  cmd->add_option("DIR", args->dir, "Log directory")->required();
  cmd->add_option("--lane", args->lane,
                  "Only this lane (default, or a lane's name): its stats at the top level");
  cmd->footer(
      "Output: one JSON object:\n"
      "  \"log\": {log_id (16 hex digits), first_offset, next_offset, records, size_bytes, "
      "segments},\n"
      "  \"cursors\": [{name, next_offset, settled_ahead, lag: {records, bytes, oldest_age_s}, "
      "totals: "
      "{delivered, dead_lettered, dropped_unforwarded, not_selected, rejected_unnamed, failed, "
      "retried, "
      "batches, failed_sends, bytes_sent, bytes_read, throttled_sends, throttled_ns, last_flush, "
      "last_error_time, last_error}, bandwidth: {rate_limit_bytes_per_s, daily_cap_bytes, "
      "critical_reserve_bytes (the limits its forwarder last ran with; 0 = none), day (today, "
      "UTC), spent_today_bytes, daily_cap (off, open, critical-only, reached)}}],\n"
      "  \"dead_letters\": {total, pending (not yet requeued), dropped_by_retention (deleted by "
      "the dead-letter log's size/age caps before requeued)},\n"
      "  \"writer\": {pid, since, generation, written_offset, committed_offset} or null when no "
      "process writes the log,\n"
      "  \"producers\": [{producer (id, one per process and thread), pid, tid, role (writer: in "
      "the writer's process; attached), "
      "alive, died_mid_entry, sealed, ring, ring_bytes, ring_fill (0-1), appended, written, "
      "malformed, dropped (by reason)}] "
      "(dead producers stay listed after their rings are reclaimed),\n"
      "  \"producers_died\", \"producer_died\" (entries lost mid-write by a dying producer), "
      "\"malformed\" (entries the writer refused), "
      "\"ring_bytes\" (ring memory of every producer), \"queue_budget_bytes\".\n"
      "  \"lanes\": [{name, dir, and the keys above for that lane's log}], \"default\" first "
      "(the keys above are the default lane's; each lane is a log of its own). With --lane "
      "NAME: that lane's keys at the top, \"lane\": NAME, no \"lanes\".\n"
      "Times are ISO-8601 UTC strings, null when never; last_error is null without one.\n"
      "Reads without the lock: safe on a log another process has open.\n"
      "Exit status: 0 on success, 2 on error (missing directory, damaged cursor file).");
  return {cmd, [args] { return run_stats(*args); }};
}

}  // namespace spool::tools

// spoolctl lanes DIR
//
// The lanes of a log directory (include/spool/lane_options.h), one JSON object: each lane's
// name, directory, route and settings as its writer recorded them, log id, extent, size, and
// the process that writes it. `spoolctl stats DIR` shows each lane's counters in full.
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "spool/cursors.h"
#include "spool/lanes.h"
#include "spool/producers.h"
#include "tools/commands/commands.h"
#include "tools/exit_codes.h"
#include "tools/lane_spec.h"
#include "tools/log_directory.h"
#include "tools/time_text.h"

namespace spool::tools {

namespace {

constexpr std::string_view kName = "lanes";

using Json = nlohmann::ordered_json;

int run_lanes(const std::string& dir) {
  Status s = require_existing_log(dir);
  if (!s) return report_error(kName, s);
  Json lanes = Json::array();
  for (const std::string& name : list_lanes(dir)) {
    auto lane_dir = find_lane_directory(dir, name);
    if (!lane_dir) return report_error(kName, lane_dir.status());
    auto summary = summarize_log(*lane_dir);
    if (!summary) return report_error(kName, "lane '" + name + "': " + summary.status().message());
    auto producers = summarize_producers(*lane_dir);
    if (!producers)
      return report_error(kName, "lane '" + name + "': " + producers.status().message());
    auto record = recorded_lane(dir, name);
    if (!record) return report_error(kName, "lane '" + name + "': " + record.status().message());
    Json one;
    one["name"] = name;
    one["dir"] = *lane_dir;
    // The default lane takes what no route claims; a lane without a route is retired.
    one["route"] = *record ? Json((*record)->route) : Json::array();
    one["retired"] = name != kDefaultLane && (!*record || (*record)->route.empty());
    one["settings"] = *record ? lane_settings_json(**record) : Json::object();
    one["log_id"] = hex_id(summary->log_id);
    one["first_offset"] = summary->first_offset;
    one["next_offset"] = summary->next_offset;
    one["records"] = summary->records;
    one["size_bytes"] = summary->size_bytes;
    one["cursors"] = summary->cursors.size();
    one["writer_pid"] = producers->writer ? Json(producers->writer->pid) : Json(nullptr);
    lanes.push_back(std::move(one));
  }
  Json j;
  j["lanes"] = std::move(lanes);
  std::printf("%s\n", j.dump().c_str());
  if (std::fflush(stdout) != 0) return report_error(kName, "cannot write to standard output");
  return kExitOk;
}

}  // namespace

Command add_lanes_command(CLI::App& app) {
  auto dir = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand(std::string(kName), "List the log's lanes as JSON");
  cmd->add_option("DIR", *dir, "Log directory")->required();
  cmd->footer(
      "Output: one JSON object: \"lanes\": [{name (\"default\" first: DIR's own log), dir, route "
      "(its terms, as its writer declared them), retired (true for a lane no longer declared), "
      "settings (the lane's declared settings, e.g. max_bytes, full_policy, disk_full_policy), "
      "log_id "
      "(16 hex digits), first_offset, next_offset, records, size_bytes, cursors, writer_pid (null "
      "when no process writes the lane)}].\n"
      "Each lane is a log of its own under DIR/lanes/NAME/; every spoolctl command that takes a "
      "log directory works on it.\n"
      "Exit status: 0 on success, 2 on error.");
  return {cmd, [dir] { return run_lanes(*dir); }};
}

}  // namespace spool::tools

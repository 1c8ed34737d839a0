// spoolctl recover DIR
//
// Runs the recovery a writer runs at open, over every segment, and prints what it did as
// JSON. It opens the log for writing, so it takes the directory lock (and fails while a
// writer holds it), truncates a torn tail, rebuilds missing indexes, removes leftovers of
// interrupted deletions, then closes the log cleanly. Damage inside sealed segments is
// left in place (readers skip it) and listed under "skipped".
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "segment/segment_log.h"
#include "tools/commands/commands.h"
#include "tools/exit_codes.h"
#include "tools/log_directory.h"
#include "tools/report_json.h"

namespace spool::tools {

namespace {

constexpr std::string_view kName = "recover";

int run_recover(const std::string& dir) {
  // A read-write open would create a log in a mistyped path: require an existing one.
  Status s = require_existing_log(dir);
  if (!s) return report_error(kName, s);
  auto existing = existing_log_options(dir);
  if (!existing) return report_error(kName, existing.status());
  LogOptions options = *existing;
  options.full_recovery_scan = true;
  auto log = segment::SegmentLog::open(dir, options, segment::OpenMode::kReadWrite);
  if (!log) return report_error(kName, log.status());
  const segment::RecoveryReport report = (*log)->recovery_report();
  s = (*log)->close();
  if (!s) return report_error(kName, s);

  nlohmann::ordered_json j;
  j["dir"] = dir;
  j.update(recovery_report_json(report));
  // Paths need not be UTF-8; JSON text must be.
  const auto text = j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  std::printf("%s\n", text.c_str());
  if (std::fflush(stdout) != 0) return report_error(kName, "cannot write to standard output");
  return kExitOk;
}

}  // namespace

Command add_recover_command(CLI::App& app) {
  auto dir = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand(
      std::string(kName), "Run full recovery (cut a torn tail, rebuild indexes) and report it");
  cmd->add_option("DIR", *dir, "Log directory")->required();
  cmd->footer(
      "Prints {\"clean_shutdown\", \"segments\", \"segments_scanned\", \"records_scanned\", "
      "\"next_offset\", \"offsets_skipped\", \"cursors_past_end\": [{\"cursor\", \"next_offset\", "
      "\"log_end\", \"offsets_skipped\"}], \"truncated\": [{\"segment\", \"from_byte\", \"to_byte\", \"bytes\", "
      "\"reason\"}], \"skipped\": [...], \"rebuilt_indexes\", \"removed_files\", \"notes\"}.\n"
      "Takes the log's lock: fails while a writer has the log open.\n"
      "Exit status: 0 on success, 2 on error.");
  return {cmd, [dir] { return run_recover(*dir); }};
}

}  // namespace spool::tools

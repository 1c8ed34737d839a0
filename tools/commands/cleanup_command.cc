// spoolctl cleanup DIR [--force] [--retention-bytes N] [--retention-age-ms N]
//
// Applies the log's retention now and prints what it freed as one JSON object. The caps are
// the log's own (from its marker, as its writer last recorded them); --retention-bytes /
// --retention-age-ms replace them for this run only (the marker keeps the log's).
//
// Without --force it deletes exactly what the writer's retention would: whole sealed
// segments, oldest first; the age cap never deletes a segment holding a record a consumer
// cursor has not consumed, the size cap does (the disk must not fill) and those records are
// counted as forced. With --force both caps apply regardless of cursors (still counted).
//
// It takes the log's lock: while another process has the log open it fails (exit 2) naming
// the holder, because only the lock holder may delete segments, and that holder already
// runs retention itself (at rotation and, for the age cap, on a timer).
#include <sys/stat.h>

#include <cstdio>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "engine/produce/dictionary_retention.h"
#include "io/env.h"
#include "segment/segment_log.h"
#include "tools/commands/commands.h"
#include "tools/exit_codes.h"
#include "tools/log_directory.h"

namespace spool::tools {

namespace {

constexpr std::string_view kName = "cleanup";

struct CleanupArgs {
  std::string dir;
  bool force = false;
  std::optional<std::uint64_t> retention_bytes;
  std::optional<std::uint64_t> retention_age_ms;
};

// A segment as it was before the cleanup: its records and the bytes its files occupy.
struct SegmentBefore {
  std::uint64_t records = 0;
  std::uint64_t bytes = 0;
};

std::uint64_t file_bytes(const std::string& path) {
  struct stat st;
  return io::env().stat(path, &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
}

std::map<std::uint64_t, SegmentBefore> snapshot(const segment::SegmentLog& log) {
  std::map<std::uint64_t, SegmentBefore> out;
  for (const auto& seg : log.segments()) {
    out[seg->base_offset()] = SegmentBefore{seg->summary().record_count,
                                            file_bytes(seg->path()) + file_bytes(seg->index_path())};
  }
  return out;
}

int run_cleanup(const CleanupArgs& args) {
  // A read-write open would create a log in a mistyped path: require an existing one.
  Status s = require_existing_log(args.dir);
  if (!s) return report_error(kName, s);
  auto options = existing_log_options(args.dir);
  if (!options) return report_error(kName, options.status());

  // What is there before: the writer's own open below already applies the log's caps, and
  // that counts as freed by this cleanup too.
  std::map<std::uint64_t, SegmentBefore> before;
  std::uint64_t first_before = 0;
  {
    auto look = segment::SegmentLog::open(args.dir, *options, segment::OpenMode::kReadOnly);
    if (!look) return report_error(kName, look.status());
    before = snapshot(**look);
    first_before = (*look)->first_offset();
  }
  auto log = segment::SegmentLog::open(args.dir, *options, segment::OpenMode::kReadWrite);
  if (!log) {
    if (log.status().code() == StatusCode::kLocked) {
      return report_error(kName, log.status().message() +
                                     "; that process applies retention itself: run cleanup once it has stopped");
    }
    return report_error(kName, log.status());
  }
  engine::tie_dictionary_to_retention(**log);  // a dictionary goes with its records
  const std::uint64_t retention_bytes = args.retention_bytes.value_or(options->retention_bytes);
  const std::uint64_t retention_age_ms = args.retention_age_ms.value_or(options->retention_max_age_ms);
  (*log)->set_retention(retention_bytes, retention_age_ms);  // this run only: not recorded
  auto deleted = (*log)->enforce_retention(args.force ? segment::RetentionCursors::kIgnore
                                                      : segment::RetentionCursors::kRespect);
  if (!deleted) return report_error(kName, deleted.status());

  std::uint64_t segments_deleted = 0, bytes_freed = 0, records_deleted = 0;
  std::map<std::uint64_t, SegmentBefore> after = snapshot(**log);
  for (const auto& [base, seg] : before) {
    if (after.count(base) != 0) continue;
    ++segments_deleted;
    bytes_freed += seg.bytes;
    records_deleted += seg.records;
  }
  nlohmann::ordered_json j;
  j["dir"] = args.dir;
  j["force"] = args.force;
  j["retention_bytes"] = retention_bytes;
  j["retention_max_age_ms"] = retention_age_ms;
  j["segments_deleted"] = segments_deleted;
  j["bytes_freed"] = bytes_freed;
  j["records_deleted"] = records_deleted;
  j["first_offset_before"] = first_before;
  j["first_offset_after"] = (*log)->first_offset();
  j["forced_records"] = (*log)->retention_forced_records();
  j["segments_left"] = (*log)->segment_count();
  j["disk_bytes_left"] = (*log)->disk_bytes();
  s = (*log)->close();
  if (!s) return report_error(kName, s);
  // Paths need not be UTF-8; JSON text must be.
  const auto text = j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  std::printf("%s\n", text.c_str());
  if (std::fflush(stdout) != 0) return report_error(kName, "cannot write to standard output");
  return kExitOk;
}

}  // namespace

Command add_cleanup_command(CLI::App& app) {
  auto args = std::make_shared<CleanupArgs>();
  CLI::App* cmd = app.add_subcommand(std::string(kName),
                                     "Apply the log's retention now and print what it freed as JSON");
  cmd->add_option("DIR", args->dir, "Log directory")->required();
  cmd->add_flag("--force", args->force,
                "Apply the caps regardless of consumer cursors (the records they lose are counted)");
  cmd->add_option("--retention-bytes", args->retention_bytes,
                  "Size cap for this run instead of the log's own (0 = none)");
  cmd->add_option("--retention-age-ms", args->retention_age_ms,
                  "Age cap for this run instead of the log's own (0 = none)");
  cmd->footer(
      "Prints {\"dir\", \"force\", \"retention_bytes\", \"retention_max_age_ms\", \"segments_deleted\", "
      "\"bytes_freed\", \"records_deleted\", \"first_offset_before\", \"first_offset_after\", "
      "\"forced_records\" (records a cursor had not consumed that were deleted), \"segments_left\", "
      "\"disk_bytes_left\"}.\n"
      "Without --force the age cap keeps what a cursor still needs; the size cap does not.\n"
      "Takes the log's lock: fails while another process has the log open.\n"
      "Exit status: 0 on success, 2 on error.");
  return {cmd, [args] { return run_cleanup(*args); }};
}

}  // namespace spool::tools

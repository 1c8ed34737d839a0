// spoolctl verify DIR
//
// Checks every frame of every segment and prints one JSON summary. Read-only, like dump:
// the recovery scan of a read-only open reports damage (skipped ranges, and a torn tail it
// leaves in place) without repairing anything; `spoolctl recover` is the command that
// changes files.
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "segment/log_state.h"
#include "segment/segment_header.h"
#include "segment/segment_log.h"
#include "tools/commands/commands.h"
#include "tools/exit_codes.h"
#include "tools/log_directory.h"
#include "tools/report_json.h"

namespace spool::tools {

namespace {

constexpr std::string_view kName = "verify";

// An offset, or null when there is no record to have one.
nlohmann::ordered_json offset_or_null(bool present, std::uint64_t offset) {
  return present ? nlohmann::ordered_json(offset) : nlohmann::ordered_json(nullptr);
}

// Per segment: what the scan found valid, and where its data ends (the position the next
// frame would be written at, for the active segment).
nlohmann::ordered_json segment_files_json(const segment::SegmentLog& log) {
  nlohmann::ordered_json files = nlohmann::ordered_json::array();
  for (const auto& seg : log.segments()) {
    const segment::SegmentSummary s = seg->summary();
    nlohmann::ordered_json f;
    f["segment"] = seg->base_offset();
    f["file"] = segment::segment_file_name(seg->base_offset());
    f["records"] = s.record_count;
    f["first_offset"] = offset_or_null(s.record_count > 0, s.first_offset);
    f["last_offset"] = offset_or_null(s.record_count > 0, s.last_offset);
    f["data_end"] = s.data_end;
    f["file_bytes"] = seg->mapped_bytes();
    files.push_back(std::move(f));
  }
  return files;
}

// How many processes have become the log's writer (LOG_STATE's generation); 0 without one.
std::uint64_t writer_generation(const std::string& dir) {
  auto state = segment::LogState::open_for_reader(dir);
  return state.is_ok() && state->has_value() ? (*state)->generation() : 0;
}

// How many times verify looks again when a writer started during its scan.
constexpr int kLookAgain = 5;

int run_verify(const std::string& dir, int looks_left = kLookAgain) {
  Status s = require_existing_log(dir);
  if (!s) return report_error(kName, s);
  // A writer that takes the log over while verify scans (the last one exited, the next is
  // starting) was not live when verify opened it, so its tail was read as if final: a frame
  // half written would look torn. Writers publish themselves (generation + 1) before they
  // append, so a damaged result with a generation that moved is looked at again.
  const std::uint64_t generation_before = writer_generation(dir);
  LogOptions options;
  options.full_recovery_scan = true;  // ignore the clean-shutdown marker: look at every frame
  auto opened = segment::SegmentLog::open(dir, options, segment::OpenMode::kReadOnly);
  if (!opened) return report_error(kName, opened.status());
  const segment::SegmentLog& log = **opened;
  const segment::RecoveryReport& report = log.recovery_report();

  // Reading every record back checks what a consumer would get, not only what the scan saw.
  std::uint64_t records = 0;
  std::uint64_t first = 0;
  std::uint64_t last = 0;
  segment::LogReader reader = log.scan(0);
  segment::RecordView record;
  while (reader.next(&record)) {
    if (records == 0) first = record.offset;
    last = record.offset;
    ++records;
  }
  // A segment that could not be mapped (out of descriptors or mappings) is an error, not
  // a clean log that happens to end early.
  if (!reader.error().is_ok()) return report_error(kName, reader.error());

  nlohmann::ordered_json notes = report.notes;
  bool damaged = report.found_damage();
  if (reader.skipped_bytes() > 0 && !damaged) {
    // The scan and the reader share the frame checks, so this means a bug, not a clean log.
    damaged = true;
    notes.push_back("reader skipped " + std::to_string(reader.skipped_bytes()) +
                    " bytes that the recovery scan did not report");
  }

  if (damaged && looks_left > 0 && writer_generation(dir) != generation_before) {
    return run_verify(dir, looks_left - 1);
  }

  nlohmann::ordered_json j;
  j["dir"] = dir;
  j["ok"] = !damaged;
  j["log_id"] = log.log_id();
  j["clean_shutdown"] = report.clean_shutdown;
  j["segments"] = log.segment_count();
  j["records"] = records;
  j["first_offset"] = offset_or_null(records > 0, first);
  j["last_offset"] = offset_or_null(records > 0, last);
  j["next_offset"] = log.next_offset();
  // Cursors past the end (records they acknowledged were lost to a power loss): the next
  // writer continues after the furthest one.
  j["offsets_skipped"] = report.offsets_skipped;
  j["cursors_past_end"] = cursors_past_end_json(report);
  j["corrupt_frames"] = damaged_range_count(report);
  j["skipped_bytes"] = damaged_bytes(report);
  j["damage"] = damage_json(report);
  // Leftovers of an interrupted deletion: garbage by construction, not damage; a read-write
  // open removes them.
  j["leftover_files"] = report.removed_files;
  j["notes"] = std::move(notes);
  j["segment_files"] = segment_files_json(log);
  // Paths need not be UTF-8; JSON text must be.
  const auto text = j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  std::printf("%s\n", text.c_str());
  if (std::fflush(stdout) != 0) return report_error(kName, "cannot write to standard output");
  return damaged ? kExitDamage : kExitOk;
}

}  // namespace

Command add_verify_command(CLI::App& app) {
  auto dir = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand(std::string(kName),
                                     "Check every frame and print a JSON summary of the log");
  cmd->add_option("DIR", *dir, "Log directory")->required();
  cmd->footer(
      "Prints {\"segments\", \"records\", \"first_offset\", \"last_offset\", \"corrupt_frames\", "
      "\"skipped_bytes\", \"damage\": [{\"segment\", \"from_byte\", \"to_byte\", \"reason\", "
      "...}], \"segment_files\": [{\"segment\", \"file\", \"records\", \"data_end\", ...}], ...}.\n"
      "Opens the log read-only and changes nothing; see `spoolctl recover` to repair.\n"
      "Exit status: 0 when clean, 1 when damage was found, 2 on error.");
  return {cmd, [dir] { return run_verify(*dir); }};
}

}  // namespace spool::tools

// spoolctl dump DIR [--from OFFSET] [--max N]
//
// One JSON object per record and line, in offset order. Records of the FlatBuffers kinds
// (span, log, metric, record) are shown decoded; raw frames, unknown types and payloads
// that fail verification are shown as base64, with the reason they were not decoded, so a
// damaged or foreign record is still visible byte for byte. The log is opened read-only: no
// lock, no recovery writes, so it works on a log a writer holds open and never changes a
// file, which is what an inspection tool must guarantee on a log that may be evidence.
#include <algorithm>
#include <cstdio>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "segment/segment_log.h"
#include "engine/sinks/base64.h"
#include "tools/cli_numbers.h"
#include "tools/commands/commands.h"
#include "tools/exit_codes.h"
#include "tools/log_directory.h"
#include "tools/record_json.h"
#include "tools/record_type_name.h"

namespace spool::tools {

namespace {

constexpr std::string_view kName = "dump";

struct DumpArgs {
  std::string dir;
  std::uint64_t from = 0;
  std::uint64_t max = std::numeric_limits<std::uint64_t>::max();
};

int run_dump(const DumpArgs& args) {
  Status s = require_existing_log(args.dir);
  if (!s) return report_error(kName, s);
  auto log = segment::SegmentLog::open(args.dir, LogOptions{}, segment::OpenMode::kReadOnly);
  if (!log) return report_error(kName, log.status());

  const std::uint64_t start = std::max(args.from, (*log)->first_offset());
  segment::LogReader reader = (*log)->scan(start);
  segment::RecordView record;
  std::string line;
  int catch_ups = 0;
  std::uint64_t skipped_before = 0;  // damaged bytes counted by earlier readers
  for (std::uint64_t n = 0; n < args.max;) {
    if (!reader.next(&record)) {
      // Beside a live writer the segment list is a snapshot: retention may have deleted the
      // segment the reader was about to map. Catch up with the writer and go on from the
      // log's first offset (bounded: a segment that stays missing is an error, below).
      if (reader.error().code() != StatusCode::kNotFound || !(*log)->follows_live_writer() || ++catch_ups > 8) break;
      if (!(*log)->refresh()) break;
      skipped_before += reader.skipped_bytes();
      reader = (*log)->scan(std::max(reader.position_offset(), (*log)->first_offset()));
      continue;
    }
    ++n;
    nlohmann::ordered_json j;
    j["offset"] = record.offset;
    j["timestamp"] = record.timestamp_ns;
    j["type"] = record.type;
    j["type_name"] = record_type_name(record.type);
    j["flags"] = record.flags;
    j["priority"] = priority_name(priority_from_flags(record.flags));
    if (record.type == static_cast<std::uint16_t>(RecordKind::kRawFrame)) {
      j["kind"] = "raw";
      j["payload_b64"] = engine::base64_encode(record.payload);
    } else if (auto decoded = record_to_json(record.type, record.payload)) {
      const std::string kind = record_type_name(record.type);
      j["kind"] = kind;
      j[kind] = std::move(decoded.value());
    } else {
      j["payload_b64"] = engine::base64_encode(record.payload);
      j["decode_error"] = decoded.status().to_string();
    }
    // Record strings need not be UTF-8; show bad bytes as U+FFFD rather than fail the dump.
    line = j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
    line.push_back('\n');
    if (std::fwrite(line.data(), 1, line.size(), stdout) != line.size()) break;
  }
  if (std::fflush(stdout) != 0 || std::ferror(stdout)) {
    return report_error(kName, "cannot write to standard output");
  }
  if (!reader.error().is_ok()) return report_error(kName, reader.error());
  const std::uint64_t skipped = skipped_before + reader.skipped_bytes();
  if (skipped > 0) {
    // The records around the damage were printed; say that something was not.
    std::fprintf(stderr,
                 "spoolctl dump: skipped %llu damaged bytes (spoolctl verify shows where)\n",
                 static_cast<unsigned long long>(skipped));
  }
  return kExitOk;
}

}  // namespace

Command add_dump_command(CLI::App& app) {
  auto args = std::make_shared<DumpArgs>();
  CLI::App* cmd = app.add_subcommand(
      std::string(kName), "Print records as JSON lines: offset, timestamp, type, decoded fields");
  cmd->add_option("DIR", args->dir, "Log directory")->required();
  cmd->add_option("--from", args->from, "First offset to print (default: the log's first)")
      ->transform(decimal_u64_validator())
      ->type_name("OFFSET");
  cmd->add_option("--max", args->max, "Print at most this many records")
      ->transform(decimal_u64_validator())
      ->type_name("N");
  cmd->footer(
      "Each line: {\"offset\", \"timestamp\" (ns since the epoch), \"type\", \"type_name\", "
      "\"flags\", \"priority\" (low, normal, high, critical), then\n"
      "  span, log, metric and record frames: \"kind\" and an object of that name with the "
      "decoded fields;\n"
      "  raw frames (type 0): \"kind\": \"raw\" and \"payload_b64\" (standard base64);\n"
      "  anything that does not decode: \"payload_b64\" and \"decode_error\"}.\n"
      "Opens the log read-only: safe on a log that a writer has open.\n"
      "Exit status: 0 on success, 2 on error.");
  return {cmd, [args] { return run_dump(*args); }};
}

}  // namespace spool::tools

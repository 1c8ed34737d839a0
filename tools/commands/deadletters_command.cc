// spoolctl deadletters DIR [--limit N]
// spoolctl deadletters DIR --requeue
//
// The dead letters of a log: records a sink refused permanently (or after every retry),
// set aside in <DIR>/deadletter with the reason. Listing reads them without any lock, so it
// works while a forwarder runs. --requeue appends every dead letter not requeued yet back
// into the main log as a new record (a new offset; the original type, flags, timestamp and
// payload), so the next forward delivers it again; that writes to the log, so it needs the
// directory lock and refuses a log another process has open.
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "engine/forward/dead_letter_log.h"
#include "engine/forward/dead_letter_registry.h"
#include "segment/segment_file.h"
#include "segment/segment_log.h"
#include "spool/buffer.h"
#include "tools/cli_numbers.h"
#include "tools/commands/commands.h"
#include "tools/exit_codes.h"
#include "tools/time_text.h"
#include "tools/log_directory.h"
#include "tools/record_type_name.h"

namespace spool::tools {

namespace {

constexpr std::string_view kName = "deadletters";

using Json = nlohmann::ordered_json;

struct DeadLettersArgs {
  std::string dir;
  bool requeue = false;
  std::optional<std::uint64_t> limit;
};

// "2026-11-22T18:40:46.123Z", or null for 0 (never / unknown).
Json iso8601_utc_or_null(std::int64_t ns) {
  std::string text = iso8601_utc(ns);
  if (text.empty()) return nullptr;
  return text;
}

std::string dump(const Json& j) {
  // Error texts come from receivers: show bytes that are not UTF-8 as U+FFFD.
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

int write_out(const std::string& text) {
  if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size() || std::fflush(stdout) != 0) {
    return report_error(kName, "cannot write to standard output");
  }
  return kExitOk;
}

int run_list(const DeadLettersArgs& args) {
  if (!engine::has_dead_letter_log(args.dir)) return kExitOk;  // nothing was ever dead-lettered
  auto log = engine::DeadLetterLog::open_read_only(args.dir);
  if (!log) {
    if (log.status().code() == StatusCode::kNotFound) return kExitOk;
    return report_error(kName, log.status());
  }
  const std::size_t limit =
      args.limit ? static_cast<std::size_t>(std::min<std::uint64_t>(
                       *args.limit, std::numeric_limits<std::size_t>::max()))
                 : std::numeric_limits<std::size_t>::max();
  auto letters = (*log)->list(limit);
  if (!letters) return report_error(kName, letters.status());
  std::string out;
  for (const engine::DeadLetter& d : *letters) {
    Json j;
    j["dead_letter_offset"] = d.dead_letter_offset;
    j["log_id"] = hex_id(d.log_id);
    j["offset"] = d.offset;
    j["kind"] = record_type_name(d.type);
    j["attempts"] = d.attempts;
    j["dead_lettered_at"] = iso8601_utc_or_null(d.dead_lettered_at_ns);
    j["error"] = d.error;
    j["payload_bytes"] = d.payload.size();
    j["requeued"] = d.requeued;
    out += dump(j);
    out.push_back('\n');
  }
  return write_out(out);
}

// --requeue on a log another process writes: the dead letters go back as an attached
// producer would append them (through a shared ring; the writer frames them), and the requeue
// cursor moves only once sync() says they are durable in the log.
int run_requeue_attached(const DeadLettersArgs& args) {
  Options options;
  options.role = Role::kAttach;
  options.full_policy = FullPolicy::kBlock;
  options.block_timeout_ms = 60'000;
  auto buffer = Buffer::open(args.dir, options);
  if (!buffer) return report_error(kName, buffer.status());
  auto log_options = existing_log_options(args.dir);
  if (!log_options) return report_error(kName, log_options.status());
  const std::uint64_t max_record =
      log_options->max_record_bytes == 0 ? kDefaultMaxRecordBytes : log_options->max_record_bytes;
  auto dead_letters = engine::acquire_dead_letter_log(
      args.dir, engine::kDeadLetterLockWait,
      static_cast<std::uint32_t>(std::min<std::uint64_t>(
          max_record, segment::segment_payload_room(log_options->segment_bytes))));
  if (!dead_letters) {
    if (dead_letters.status().code() == StatusCode::kLocked) {
      return report_error(kName, "another process has the dead-letter log open (" +
                                     dead_letters.status().message() + ")");
    }
    return report_error(kName, dead_letters.status());
  }
  auto requeued = (*dead_letters)->requeue([&](std::span<const segment::AppendRecord> records) -> Status {
    for (const segment::AppendRecord& r : records) {
      const EncodedRecord e{static_cast<RecordKind>(r.type), priority_from_flags(r.flags), r.payload};
      SPOOL_RETURN_IF_ERROR((*buffer)->append(e));
    }
    // Bounded: a process that holds the lock but drains no rings must not hang the tool
    // (what was appended stays queued; the requeue cursor does not move, so nothing is lost).
    Status flushed = (*buffer)->flush(10'000);
    if (!flushed) return Status(flushed.code(), "the writer of the log did not take the records: " + flushed.message());
    return (*buffer)->sync();
  });
  if (!requeued) return report_error(kName, "requeue: " + requeued.status().to_string());
  Status closed = (*dead_letters)->close();
  if (!closed) return report_error(kName, "close the dead-letter log: " + closed.to_string());
  closed = (*buffer)->shutdown();
  if (!closed) return report_error(kName, "close the buffer: " + closed.to_string());
  Json j;
  j["requeued"] = *requeued;
  return write_out(dump(j) + "\n");
}

int run_requeue(const DeadLettersArgs& args) {
  auto print_count = [](std::uint64_t n) {
    Json j;
    j["requeued"] = n;
    return write_out(dump(j) + "\n");
  };
  // Without a dead-letter log there is nothing to requeue; do not create one.
  if (!engine::has_dead_letter_log(args.dir)) return print_count(0);

  // The log's own settings, rather than growing its active segment to the default size.
  auto existing = existing_log_options(args.dir);
  if (!existing) return report_error(kName, existing.status());
  LogOptions options = *existing;
  auto main = segment::SegmentLog::open(args.dir, options, segment::OpenMode::kReadWrite);
  if (!main && main.status().code() == StatusCode::kLocked) return run_requeue_attached(args);
  if (!main) return report_error(kName, main.status());
  auto dead_letters =
      engine::acquire_dead_letter_log(args.dir, engine::kDeadLetterLockWait, (*main)->max_payload_bytes());
  if (!dead_letters) {
    if (dead_letters.status().code() == StatusCode::kLocked) {
      return report_error(kName, "another process has the dead-letter log open (" +
                                     dead_letters.status().message() + ")");
    }
    return report_error(kName, dead_letters.status());
  }
  auto requeued = (*dead_letters)->requeue(**main);
  if (!requeued) return report_error(kName, "requeue: " + requeued.status().to_string());
  Status closed = (*dead_letters)->close();
  if (!closed) return report_error(kName, "close the dead-letter log: " + closed.to_string());
  closed = (*main)->close();
  if (!closed) return report_error(kName, "close the log: " + closed.to_string());
  return print_count(*requeued);
}

int run_deadletters(const DeadLettersArgs& args) {
  if (args.requeue && args.limit) return report_error(kName, "--limit applies to listing, not to --requeue");
  Status s = require_existing_log(args.dir);
  if (!s) return report_error(kName, s);
  return args.requeue ? run_requeue(args) : run_list(args);
}

}  // namespace

Command add_deadletters_command(CLI::App& app) {
  auto args = std::make_shared<DeadLettersArgs>();
  CLI::App* cmd = app.add_subcommand(
      std::string(kName),
      "List the records sinks refused (dead letters) as JSON lines, or --requeue them into the log");
  cmd->add_option("DIR", args->dir, "Log directory")->required();
  cmd->add_flag("--requeue", args->requeue,
                "Append every dead letter not yet requeued back into the log (as an attached "
                "producer when another process writes it)");
  cmd->add_option("--limit", args->limit, "List at most N dead letters, oldest first")
      ->transform(decimal_u64_validator())
      ->type_name("N");
  cmd->footer(
      "Listing, one JSON object per line, oldest first: dead_letter_offset, log_id (16 hex "
      "digits), offset (in that log), kind, attempts, dead_lettered_at (ISO-8601 UTC), error, "
      "payload_bytes, requeued. Nothing when the log has no dead letters.\n"
      "--requeue prints {\"requeued\": N}; a second run requeues only what was dead-lettered "
      "since.\n"
      "The dead-letter log admits one writer at a time (a forwarder holds it only while it "
      "sets records aside): --requeue waits up to 10 s for its turn.\n"
      "Exit status: 0 on success, 2 on error (missing directory, dead-letter log held by "
      "another process for longer than that, damaged dead-letter log).");
  return {cmd, [args] { return run_deadletters(*args); }};
}

}  // namespace spool::tools

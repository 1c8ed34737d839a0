// spoolctl cursors DIR [--json]
// spoolctl cursors DIR --seek NAME --to earliest|latest|OFFSET|time:TIME [--json]
// spoolctl cursors DIR --delete NAME [--json]
//
// The consumer cursors of a log: where each one is (the next offset it delivers), how far
// behind the log's end it is, and what it has delivered so far. --seek moves a cursor (or
// creates it) so the next forward starts elsewhere; --delete removes one, which also lets
// retention free the segments it was holding. The log itself is only read (no lock); a
// running forwarder keeps its own position, so move its cursor while it is stopped.
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "spool/cursors.h"
#include "tools/cli_numbers.h"
#include "tools/commands/commands.h"
#include "tools/exit_codes.h"
#include "tools/log_directory.h"
#include "tools/time_text.h"

namespace spool::tools {

namespace {

constexpr std::string_view kName = "cursors";

struct CursorsArgs {
  std::string dir;
  bool json = false;
  std::optional<std::string> seek;
  std::optional<std::string> to;
  std::optional<std::string> remove;
};

double age_seconds(std::int64_t ns) { return ns > 0 ? static_cast<double>(ns) / 1e9 : 0.0; }

struct SeekRequest {
  SeekTarget target = SeekTarget::kEarliest;
  std::int64_t value = 0;
};

Result<SeekRequest> parse_seek_target(const std::string& text) {
  if (text == "earliest") return SeekRequest{SeekTarget::kEarliest, 0};
  if (text == "latest") return SeekRequest{SeekTarget::kLatest, 0};
  if (text.starts_with("time:")) {
    auto time = parse_time_text(text, "--to time:");
    if (!time) return time.status();
    return SeekRequest{SeekTarget::kTime, *time};
  }
  const auto number = parse_decimal_u64(text);
  if (!number || *number > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    return Status::invalid_argument(
        "--to must be earliest, latest, an offset or time:TIME (ns since the Unix epoch, or UTC as "
        "2026-11-22T20:03:39.056Z), got '" +
        text + "'");
  }
  return SeekRequest{SeekTarget::kOffset, static_cast<std::int64_t>(*number)};
}

nlohmann::ordered_json cursor_json(const CursorInfo& c) {
  nlohmann::ordered_json j;
  j["name"] = c.name;
  j["next_offset"] = c.next_offset;
  j["lag_records"] = c.lag.records;
  j["lag_bytes"] = c.lag.bytes;
  j["oldest_unforwarded_age_s"] = age_seconds(c.lag.oldest_age_ns);
  j["delivered"] = c.totals.delivered;
  j["dead_lettered"] = c.totals.dead_lettered;
  const std::string updated = iso8601_utc(c.updated_ns);
  j["updated"] = updated.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(updated);
  return j;
}

std::string dump(const nlohmann::ordered_json& j) {
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

// A header line and one line per cursor, columns aligned (numbers to the right).
std::string cursor_table(const std::vector<CursorInfo>& cursors) {
  static const std::vector<std::string> kHeader{"name",      "next_offset",
                                                "lag_records", "lag_bytes",
                                                "oldest_unforwarded_age_s", "delivered",
                                                "dead_lettered", "updated"};
  // Columns 0 (name) and 7 (updated) are text, the rest numbers.
  auto right_aligned = [](std::size_t col) { return col != 0 && col != 7; };
  std::vector<std::vector<std::string>> rows{kHeader};
  for (const CursorInfo& c : cursors) {
    char age[32];
    std::snprintf(age, sizeof age, "%.1f", age_seconds(c.lag.oldest_age_ns));
    const std::string updated = iso8601_utc(c.updated_ns);
    rows.push_back({c.name, std::to_string(c.next_offset), std::to_string(c.lag.records),
                    std::to_string(c.lag.bytes), age, std::to_string(c.totals.delivered),
                    std::to_string(c.totals.dead_lettered), updated.empty() ? "-" : updated});
  }
  std::vector<std::size_t> width(kHeader.size(), 0);
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      if (i > 0) line += "  ";
      const std::string pad(width[i] - row[i].size(), ' ');
      const bool last = i + 1 == row.size();
      line += right_aligned(i) ? pad + row[i] : (last ? row[i] : row[i] + pad);
    }
    out += line + "\n";
  }
  return out;
}

int print(const std::string& text) {
  if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size() || std::fflush(stdout) != 0) {
    return report_error(kName, "cannot write to standard output");
  }
  return kExitOk;
}

int run_seek(const CursorsArgs& args) {
  auto request = parse_seek_target(*args.to);
  if (!request) return report_error(kName, request.status());
  Status s = seek_cursor(args.dir, *args.seek, request->target, request->value);
  if (!s) return report_error(kName, s);
  auto cursors = list_cursors(args.dir);
  if (!cursors) return report_error(kName, cursors.status());
  for (const CursorInfo& c : *cursors) {
    if (c.name != *args.seek) continue;
    if (args.json) return print(dump(cursor_json(c)) + "\n");
    return print("cursor " + c.name + " at offset " + std::to_string(c.next_offset) + " (" +
                 std::to_string(c.lag.records) + " records behind the end)\n");
  }
  return report_error(kName, "cursor " + *args.seek + " is not there after the seek");
}

int run_delete(const CursorsArgs& args) {
  Status s = delete_cursor(args.dir, *args.remove);
  if (!s) return report_error(kName, s);
  if (args.json) {
    nlohmann::ordered_json j;
    j["deleted"] = *args.remove;
    return print(dump(j) + "\n");
  }
  return print("deleted cursor " + *args.remove + "\n");
}

int run_cursors(const CursorsArgs& args) {
  Status s = require_existing_log(args.dir);
  if (!s) return report_error(kName, s);
  if (args.seek && args.remove) return report_error(kName, "--seek and --delete exclude each other");
  if (args.seek.has_value() != args.to.has_value()) {
    return report_error(kName, "--seek NAME and --to TARGET go together");
  }
  if (args.seek) return run_seek(args);
  if (args.remove) return run_delete(args);

  auto cursors = list_cursors(args.dir);
  if (!cursors) return report_error(kName, cursors.status());
  if (args.json) {
    nlohmann::ordered_json array = nlohmann::ordered_json::array();
    for (const CursorInfo& c : *cursors) array.push_back(cursor_json(c));
    return print(dump(array) + "\n");
  }
  return print(cursor_table(*cursors));
}

}  // namespace

Command add_cursors_command(CLI::App& app) {
  auto args = std::make_shared<CursorsArgs>();
  CLI::App* cmd = app.add_subcommand(
      std::string(kName),
      "List the log's consumer cursors with their lag and totals; move (--seek) or delete one");
  cmd->add_option("DIR", args->dir, "Log directory")->required();
  cmd->add_flag("--json", args->json, "Print JSON instead of a table");
  cmd->add_option("--seek", args->seek, "Move this cursor (created if absent) to --to")
      ->type_name("NAME");
  cmd->add_option("--to", args->to,
                  "Where --seek moves the cursor: earliest, latest, an offset (clamped to the "
                  "log), or time:TIME (the first record buffered at or after that wall-clock "
                  "time: ns since the Unix epoch, or UTC as 2026-11-22T20:03:39.056Z)")
      ->type_name("TARGET");
  cmd->add_option("--delete", args->remove, "Delete this cursor")->type_name("NAME");
  cmd->footer(
      "Listing: a header line, then one line per cursor: name, next_offset (the next offset "
      "it delivers), lag_records, lag_bytes, oldest_unforwarded_age_s, delivered, "
      "dead_lettered, updated (ISO-8601 UTC of its last commit). --json: one JSON array of "
      "objects with those keys (updated null if never).\n"
      "--seek prints the cursor's new position (--json: its object); --delete prints what it "
      "deleted.\n"
      "Exit status: 0 on success, 2 on error (missing directory, damaged cursor file, unknown "
      "cursor for --delete, bad name or target).");
  return {cmd, [args] { return run_cursors(*args); }};
}

}  // namespace spool::tools

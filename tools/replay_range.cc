#include "tools/replay_range.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "io/clock.h"
#include "spool/cursors.h"
#include "spool/lanes.h"
#include "tools/time_text.h"

namespace spool::tools {

Result<ReplayRange> parse_replay_range(const std::optional<std::string>& from_time,
                                       const std::optional<std::string>& until_time) {
  ReplayRange range;
  if (from_time) {
    auto t = parse_time_text(*from_time, "--from-time");
    if (!t) return t.status();
    range.from_ns = *t;
  }
  if (until_time) {
    auto t = parse_time_text(*until_time, "--until-time");
    if (!t) return t.status();
    range.until_ns = *t;
  }
  if (range.from_ns && range.until_ns && *range.until_ns < *range.from_ns) {
    return Status::invalid_argument("--until-time " + *until_time + " is before --from-time " +
                                    *from_time);
  }
  return range;
}

Result<ReplayCursor> prepare_replay_cursor(const std::string& dir,
                                           const std::optional<std::string>& requested,
                                           const ReplayRange& range) {
  if (!range.from_ns) return ReplayCursor{requested.value_or("default"), false};
  ReplayCursor cursor;
  cursor.name = requested ? *requested
                          : "replay-" + std::to_string(::getpid()) + "-" +
                                std::to_string(io::wall_clock_ns() / 1'000'000);
  auto existing = list_cursors(dir);
  if (!existing) return existing.status();
  if (std::any_of(existing->begin(), existing->end(),
                  [&](const CursorInfo& c) { return c.name == cursor.name; })) {
    return Status::invalid_argument(
        "cursor '" + cursor.name + "' of log " + dir +
        " exists: --from-time starts a new cursor (leave out --cursor for a "
        "generated name; --until-time alone goes on with an existing cursor)");
  }
  // In every lane (each has offsets and cursors of its own), the lanes' logs by the same time.
  for (const std::string& lane : list_lanes(dir)) {
    auto lane_dir = find_lane_directory(dir, lane);
    if (!lane_dir) return lane_dir.status();
    SPOOL_RETURN_IF_ERROR(seek_cursor(*lane_dir, cursor.name, SeekTarget::kTime, *range.from_ns));
  }
  cursor.created = true;
  return cursor;
}

Result<bool> finish_replay_cursor(const std::string& dir, const ReplayCursor& cursor,
                                  const ReplayRange& range, bool complete,
                                  std::uint64_t cursor_offset) {
  if (!cursor.created) return false;
  if (complete) {
    for (const std::string& lane : list_lanes(dir)) {
      auto lane_dir = find_lane_directory(dir, lane);
      if (!lane_dir) return lane_dir.status();
      SPOOL_RETURN_IF_ERROR(delete_cursor(*lane_dir, cursor.name));
    }
    return true;
  }
  const std::string until =
      range.until_ns ? " --until-time " + std::to_string(*range.until_ns) : std::string();
  std::fprintf(
      stderr,
      "spoolctl forward: the range was not delivered to its end; cursor '%s' stays at offset %llu "
      "and holds back the log's age retention until it is deleted. Go on with: spoolctl forward "
      "%s --to URL --cursor %s%s; or delete it: spoolctl cursors %s --delete %s\n",
      cursor.name.c_str(), static_cast<unsigned long long>(cursor_offset), dir.c_str(),
      cursor.name.c_str(), until.c_str(), dir.c_str(), cursor.name.c_str());
  return false;
}

}  // namespace spool::tools

// The time range of `spoolctl forward --from-time T --until-time T`: a replay of the records
// buffered in [from, until) to a sink, through a cursor of its own, so that the log's other
// cursors do not move. A cursor left behind would hold back the log's age retention (it keeps
// every segment a cursor still needs), so the cursor a replay created is deleted once the
// range is delivered; an interrupted replay keeps it, to be resumed or deleted.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "spool/status.h"

namespace spool::tools {

struct ReplayRange {
  std::optional<std::int64_t> from_ns;  // the first record buffered at or after it starts the range
  std::optional<std::int64_t> until_ns;  // the first record buffered at or after it ends it
  bool active() const noexcept { return from_ns || until_ns; }
};

// --from-time / --until-time (either may be absent; see time_text.h for the forms).
Result<ReplayRange> parse_replay_range(const std::optional<std::string>& from_time,
                                       const std::optional<std::string>& until_time);

struct ReplayCursor {
  std::string name;
  bool created = false;  // this run created it (at from_ns)
};

// The cursor a forward session uses. With from_ns: a new cursor, named `requested` or
// replay-<pid>-<unix ms>, placed at the first record buffered at or after from_ns; an
// existing cursor of that name is refused (a replay must not move another consumer's cursor).
// Otherwise `requested` (or "default") as it is.
Result<ReplayCursor> prepare_replay_cursor(const std::string& dir,
                                           const std::optional<std::string>& requested,
                                           const ReplayRange& range);

// After the session (the forwarder stopped): deletes the cursor this run created when the
// range was delivered (`complete`). Otherwise leaves it, and for a created one says on
// stderr where it stands and how to resume or delete it. True when it was deleted.
Result<bool> finish_replay_cursor(const std::string& dir, const ReplayCursor& cursor,
                                  const ReplayRange& range, bool complete,
                                  std::uint64_t cursor_offset);

}  // namespace spool::tools

// Helpers shared by the SegmentLog tests: deterministic payloads, opening with a clear
// failure, reading everything back, and running code in a child process that "crashes".
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>

#include "segment/log_checkpoint.h"
#include "segment/segment_log.h"

namespace spool::testing {

inline std::span<const std::uint8_t> bytes_of(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}
inline std::string as_string(std::span<const std::uint8_t> b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

// Payload of record i: varying length (0..~300 bytes), content derived from i.
std::string sample_payload(std::uint64_t i);

// Options with 4 KiB segments: a few records per segment, so tests rotate often.
LogOptions small_segments();

// Opens or fails the current test (ASSERT-style; check HasFatalFailure after).
std::unique_ptr<segment::SegmentLog> open_log(const std::string& dir, const LogOptions& options,
                                              segment::OpenMode mode = segment::OpenMode::kReadWrite);

// Commits consumer cursor `name` at `next_offset` in the log at `dir`, as a forwarder would
// (segment/cursor_store.h); fails the current test if it cannot.
void commit_cursor(const std::string& dir, const std::string& name, std::uint64_t next_offset);

// Every record from `from` on: offset -> payload.
std::map<std::uint64_t, std::string> read_all(const segment::SegmentLog& log, std::uint64_t from = 0);

// Writes a checkpoint file by hand, as a damaged or foreign directory might hold it.
void write_checkpoint(const std::string& dir, const segment::LogCheckpoint& c);

// Waits until the writer of the log in `dir` (another process or thread) has committed
// `offset` (LOG_STATE, segment/log_state.h); false if that did not happen within a safety
// limit (scaled, see time_scale.h): a hang guard, not a timing check.
bool wait_committed(const std::string& dir, std::uint64_t offset);

// Paths of the segment files in `dir`, oldest first.
std::vector<std::string> segment_paths(const std::string& dir);

// Writes half a frame just after the last committed one of `log` (a writer's log), as a
// write in flight leaves it. For a child process that then crashes or waits to be killed;
// 0 on success, else a distinct nonzero code to exit with.
int write_torn_frame(const segment::SegmentLog& log);

}  // namespace spool::testing

// Helpers shared by the SegmentLog tests: deterministic payloads, opening with a clear
// failure, reading everything back, and running code in a child process that "crashes".
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>

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

// Opens or fails the current test (ASSERT-style; check HasFatalFailure after).
std::unique_ptr<segment::SegmentLog> open_log(const std::string& dir, const LogOptions& options,
                                              segment::OpenMode mode = segment::OpenMode::kReadWrite);

// Every record from `from` on: offset -> payload.
std::map<std::uint64_t, std::string> read_all(const segment::SegmentLog& log, std::uint64_t from = 0);

// Runs `body` in a forked child and returns the child's wait status. To crash with a log
// open (as after kill -9), the body calls ::_exit itself while the log is still in scope:
// locals of the body are destroyed (and the log closed cleanly) if it returns.
int run_in_crashing_child(const std::function<void()>& body);

// Paths of the segment files in `dir`, oldest first.
std::vector<std::string> segment_paths(const std::string& dir);

}  // namespace spool::testing

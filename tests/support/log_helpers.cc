#include "support/log_helpers.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <thread>

#include "io/file.h"
#include "segment/cursor_store.h"
#include "segment/log_state.h"
#include "support/temp_dir.h"
#include "support/time_scale.h"

namespace spool::testing {

std::string sample_payload(std::uint64_t i) {
  std::string s = "rec-" + std::to_string(i) + ":";
  const std::size_t len = (i * 7919) % 300;
  for (std::size_t k = 0; s.size() < len; ++k) s.push_back(static_cast<char>('a' + (i + k) % 26));
  return s;
}

std::unique_ptr<segment::SegmentLog> open_log(const std::string& dir, const LogOptions& options,
                                              segment::OpenMode mode) {
  auto log = segment::SegmentLog::open(dir, options, mode);
  EXPECT_TRUE(log) << log.status().to_string();
  if (!log) return nullptr;
  return std::move(log.value());
}

std::map<std::uint64_t, std::string> read_all(const segment::SegmentLog& log, std::uint64_t from) {
  std::map<std::uint64_t, std::string> out;
  auto reader = log.scan(from);
  segment::RecordView v;
  std::uint64_t last = 0;
  bool first = true;
  while (reader.next(&v)) {
    EXPECT_TRUE(first || v.offset > last) << "offsets not increasing at " << v.offset;
    first = false;
    last = v.offset;
    out[v.offset] = as_string(v.payload);
  }
  return out;
}

void write_checkpoint(const std::string& dir, const segment::LogCheckpoint& c) {
  std::uint8_t bytes[segment::LogCheckpoint::kBytes];
  c.encode(bytes);
  write_file(dir + "/" + segment::LogCheckpoint::kFileName,
             std::string(reinterpret_cast<const char*>(bytes), sizeof bytes));
}

std::vector<std::string> segment_paths(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() == ".seg") out.push_back(e.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

bool wait_committed(const std::string& dir, std::uint64_t offset) {
  const auto deadline = std::chrono::steady_clock::now() + scaled(std::chrono::milliseconds(60'000));
  while (std::chrono::steady_clock::now() < deadline) {
    auto state = segment::LogState::open_for_reader(dir);
    if (state && state->has_value() && (*state)->committed_offset() >= offset) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
}

LogOptions small_segments() {
  LogOptions o;
  o.segment_bytes = 4096;
  return o;
}

int write_torn_frame(const segment::SegmentLog& log) {
  const std::string path = segment_paths(log.dir()).back();
  io::File f;
  if (io::File::open(path, O_RDWR, 0, &f) < 0) return 12;
  const std::uint64_t end = log.segments().back()->committed_end();
  const std::string torn = "FLPS" + std::string(30, '\x7f');
  if (f.pwrite_full(torn.data(), torn.size(), end) < 0) return 13;
  return 0;
}

void commit_cursor(const std::string& dir, const std::string& name, std::uint64_t next_offset) {
  auto store = segment::CursorStore::open(dir);
  ASSERT_TRUE(store) << store.status().to_string();
  segment::CursorRecord r;
  r.name = name;
  r.next_offset = next_offset;
  ASSERT_TRUE(store->commit(r));
}

}  // namespace spool::testing

// LOG_STATE (segment/log_state.h): what the writer publishes for readers in other processes.
#include "segment/log_state.h"

#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/file.h"
#include "segment/segment_log.h"
#include "support/log_helpers.h"
#include "support/temp_dir.h"

namespace spool::segment {
namespace {

using spool::testing::bytes_of;
using spool::testing::open_log;
using spool::testing::TempDir;

LogState reader_state(const std::string& dir) {
  auto state = LogState::open_for_reader(dir);
  EXPECT_TRUE(state) << state.status().to_string();
  EXPECT_TRUE(state && state->has_value()) << "no LOG_STATE in " << dir;
  return state && state->has_value() ? std::move(**state) : LogState();
}

TEST(LogState, TheWriterPublishesItselfAndItsOffsets) {
  TempDir tmp;
  const std::string dir = tmp.sub("log");
  LogOptions options;
  options.file_mode = 0640;
  auto log = open_log(dir, options);
  ASSERT_TRUE(log);
  struct stat st;
  ASSERT_EQ(::stat((dir + "/" + LogState::kFileName).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
  EXPECT_EQ(static_cast<std::size_t>(st.st_size), LogState::kBytes);

  LogState state = reader_state(dir);
  EXPECT_EQ(state.log_id(), log->log_id());
  EXPECT_EQ(state.generation(), 1u);
  EXPECT_EQ(state.writer().pid, ::getpid());
  EXPECT_GT(state.writer().since_ns, 0);
  EXPECT_TRUE(state.writer_alive());
  EXPECT_EQ(state.committed_offset(), 0u);

  for (int i = 0; i < 5; ++i) ASSERT_TRUE(log->append(0, bytes_of("record")));
  EXPECT_EQ(state.committed_offset(), 5u);
  EXPECT_EQ(state.written_offset(), 5u);

  ASSERT_TRUE(log->close());
  EXPECT_EQ(state.writer().pid, 0);
  EXPECT_FALSE(state.writer_alive());
  EXPECT_EQ(state.committed_offset(), 5u);

  // The next writer is the next generation and starts from the committed end.
  auto again = open_log(dir, options);
  ASSERT_TRUE(again);
  EXPECT_EQ(state.generation(), 2u);
  EXPECT_TRUE(state.writer_alive());
  EXPECT_EQ(state.committed_offset(), 5u);
}

TEST(LogState, SegmentsVersionMovesAtRotationAndRetention) {
  TempDir tmp;
  const std::string dir = tmp.sub("log");
  auto log = open_log(dir, testing::small_segments());
  ASSERT_TRUE(log);
  LogState state = reader_state(dir);
  const std::uint64_t at_open = state.segments_version();
  const std::string payload(1000, 'x');
  while (log->segment_count() < 3) ASSERT_TRUE(log->append(0, bytes_of(payload)));
  const std::uint64_t after_rotations = state.segments_version();
  EXPECT_EQ(after_rotations, at_open + 2);
  log->set_retention(1, 0);  // everything sealed must go
  auto deleted = log->enforce_retention();
  ASSERT_TRUE(deleted);
  EXPECT_EQ(state.segments_version(), after_rotations + *deleted);
  EXPECT_GT(*deleted, 0u);
}

TEST(LogState, AMissingOrForeignFileIsNoState) {
  TempDir tmp;
  auto none = LogState::open_for_reader(tmp.path());
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->has_value());
  testing::write_file(tmp.sub(LogState::kFileName), std::string(LogState::kBytes, 'z'));
  auto foreign = LogState::open_for_reader(tmp.path());
  ASSERT_TRUE(foreign);
  EXPECT_FALSE(foreign->has_value());
}

TEST(LogState, TheWriterRefusesASymlink) {
  TempDir tmp;
  const std::string dir = tmp.sub("log");
  ASSERT_TRUE(open_log(dir, LogOptions{}));  // a log, closed again
  const std::string path = dir + "/" + LogState::kFileName;
  ASSERT_EQ(::unlink(path.c_str()), 0);
  ASSERT_EQ(::symlink(tmp.sub("elsewhere").c_str(), path.c_str()), 0);
  auto log = SegmentLog::open(dir, LogOptions{});
  ASSERT_FALSE(log);
  EXPECT_NE(log.status().message().find(LogState::kFileName), std::string::npos) << log.status().to_string();
}

TEST(LogState, AWriterKilledInsideAnIdentityUpdateIsNoWriter) {
  TempDir tmp;
  const std::string dir = tmp.sub("log");
  auto log = open_log(dir, LogOptions{});
  ASSERT_TRUE(log);
  // The seqlock word left odd, as by a writer killed between its stores.
  {
    io::File f;
    ASSERT_EQ(io::File::open(dir + "/" + LogState::kFileName, O_RDWR, 0, &f), 0);
    const std::uint64_t odd = 1;
    ASSERT_EQ(f.pwrite_full(&odd, sizeof odd, 32), 0);
  }
  LogState state = reader_state(dir);
  EXPECT_EQ(state.writer().pid, 0);
  EXPECT_FALSE(state.writer_alive());
}

}  // namespace
}  // namespace spool::segment

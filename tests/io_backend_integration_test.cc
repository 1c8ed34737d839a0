// The io_uring and pwrite paths are interchangeable: the same appends give byte-identical
// segment files, index files and checkpoint (creation time in the header aside).
#include <gtest/gtest.h>

#include <filesystem>

#include "segment/segment_header.h"
#include "segment/segment_log.h"
#include "support/log_helpers.h"
#include "support/temp_dir.h"

namespace spool::segment {
namespace {

using spool::testing::bytes_of;
using spool::testing::open_log;
using spool::testing::sample_payload;

void write_same_log(const std::string& dir, IoBackend backend) {
  LogOptions o;
  o.segment_bytes = 16 * 1024;
  o.io_backend = backend;
  o.log_id = 0x5eed5eed5eed5eedull;
  auto log = open_log(dir, o);
  ASSERT_NE(log, nullptr);
  EXPECT_STREQ(log->io_backend_name(), backend == IoBackend::kUring ? "io_uring" : "pwrite");
  std::vector<std::string> payloads;
  for (int i = 0; i < 1500; ++i) payloads.push_back(sample_payload(i));
  // Single appends, then batches of varying size (some crossing rotations).
  for (int i = 0; i < 500; ++i) ASSERT_TRUE(log->append(i % 4, bytes_of(payloads[i]), 1000 + i));
  for (int i = 500; i < 1500;) {
    std::vector<AppendRecord> batch;
    for (int k = 0; k < 1 + i % 97 && i < 1500; ++k, ++i) {
      batch.push_back(AppendRecord{1, bytes_of(payloads[i]), 1000 + i, static_cast<std::uint16_t>(i)});
    }
    ASSERT_TRUE(log->append_batch(batch));
  }
  ASSERT_TRUE(log->close());
}

TEST(IoBackendIntegration, UringAndPwriteProduceIdenticalFiles) {
  {
    std::unique_ptr<io::FileAppender> probe;
    if (io::make_file_appender(io::AppenderKind::kUring, &probe) != 0) {
      GTEST_SKIP() << "io_uring is not available on this kernel/sandbox";
    }
  }
  testing::TempDir root;
  write_same_log(root.sub("uring"), IoBackend::kUring);
  write_same_log(root.sub("pwrite"), IoBackend::kPwrite);
  ASSERT_FALSE(HasFatalFailure());
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(root.sub("uring"))) {
    names.push_back(e.path().filename());
  }
  std::sort(names.begin(), names.end());
  std::vector<std::string> other;
  for (const auto& e : std::filesystem::directory_iterator(root.sub("pwrite"))) {
    other.push_back(e.path().filename());
  }
  std::sort(other.begin(), other.end());
  ASSERT_EQ(names, other);
  int segments = 0;
  for (const std::string& name : names) {
    // Hold a pid, a creation time, a writer's pid and start time.
    if (name == "LOCK" || name == "SPOOL_LOG" || name == "LOG_STATE") continue;
    std::string a = testing::read_file(root.sub("uring/" + name));
    std::string b = testing::read_file(root.sub("pwrite/" + name));
    ASSERT_EQ(a.size(), b.size()) << name;
    if (name.ends_with(".seg")) {
      ++segments;
      // created_ns (bytes 32..39) and the header checksum (56..63) differ by creation time.
      ASSERT_EQ(a.substr(0, 32), b.substr(0, 32)) << name;
      ASSERT_EQ(a.substr(40, 16), b.substr(40, 16)) << name;
      ASSERT_TRUE(a.substr(kSegmentHeaderBytes) == b.substr(kSegmentHeaderBytes)) << name;
    } else {
      ASSERT_TRUE(a == b) << name;
    }
  }
  EXPECT_GT(segments, 5);
}

}  // namespace
}  // namespace spool::segment

// Bytes on disk of a directory tree (tools/disk_usage.h), as produce and the e2e driver count.
#include "tools/disk_usage.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "support/temp_dir.h"

namespace spool::tools {
namespace {

using testing::TempDir;

TEST(DiskUsage, SumsRegularFilesRecursively) {
  TempDir tmp;
  std::filesystem::create_directories(tmp.sub("a/b"));
  testing::write_file(tmp.sub("top"), std::string(10, 'x'));
  testing::write_file(tmp.sub("a/b/deep"), std::string(100'000, 'y'));
  // A link is not followed, so nothing is counted twice.
  ASSERT_EQ(::symlink(tmp.sub("a/b/deep").c_str(), tmp.sub("link").c_str()), 0);

  auto usage = disk_usage(tmp.path());
  ASSERT_TRUE(usage) << usage.status().to_string();
  EXPECT_EQ(usage->files, 2u);
  EXPECT_EQ(usage->file_bytes, 100'010u);
}

TEST(DiskUsage, AllocatedBytesLeaveOutHoles) {
  TempDir tmp;
  testing::write_file(tmp.sub("sparse"), "data");
  std::filesystem::resize_file(tmp.sub("sparse"), 16u << 20);
  auto usage = disk_usage(tmp.path());
  ASSERT_TRUE(usage) << usage.status().to_string();
  EXPECT_EQ(usage->file_bytes, 16u << 20);
  EXPECT_LT(usage->allocated_bytes, usage->file_bytes);
}

TEST(DiskUsage, MissingDirectoryIsAnError) {
  TempDir tmp;
  auto usage = disk_usage(tmp.sub("absent"));
  EXPECT_FALSE(usage);
  EXPECT_EQ(usage.status().code(), StatusCode::kIoError);
}

}  // namespace
}  // namespace spool::tools

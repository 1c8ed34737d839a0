// io/memory_info.h: cgroup v2 limits (own cgroup or an ancestor), the meminfo fallback, and
// clear errors when neither can be read. Fake /proc and cgroup trees live in a temp dir.
#include "io/memory_info.h"

#include <errno.h>
#include <string.h>

#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "support/temp_dir.h"

namespace spool::io {
namespace {

using spool::testing::TempDir;

constexpr std::uint64_t kMiB = 1ull << 20;
constexpr std::uint64_t kGiB = 1ull << 30;

// A fake <proc> and <cgroup root>; files are created with their parent directories.
class FakeTree {
 public:
  FakeTree() : paths_{dir_.sub("proc"), dir_.sub("cgroup")} {
    std::filesystem::create_directories(paths_.proc_root);
    std::filesystem::create_directories(paths_.cgroup_root);
  }

  const MemoryPaths& paths() const { return paths_; }
  std::string root() const { return dir_.path(); }

  void self_cgroup(const std::string& text) { put(paths_.proc_root + "/self/cgroup", text); }
  void meminfo(const std::string& text) { put(paths_.proc_root + "/meminfo", text); }
  // level: "" for the root, else "/a/b".
  void cgroup_file(const std::string& level, const std::string& name, const std::string& text) {
    put(paths_.cgroup_root + level + "/" + name, text);
  }
  void cgroup_limit(const std::string& level, std::uint64_t max, std::uint64_t current) {
    cgroup_file(level, "memory.max", std::to_string(max) + "\n");
    cgroup_file(level, "memory.current", std::to_string(current) + "\n");
  }
  // A level whose memory controller is enabled but sets no limit.
  void cgroup_unlimited(const std::string& level, std::uint64_t current) {
    cgroup_file(level, "memory.max", "max\n");
    cgroup_file(level, "memory.current", std::to_string(current) + "\n");
  }
  // 16 GiB total, 10 GiB available, in meminfo's kB.
  void typical_meminfo() {
    meminfo("MemTotal:       16777216 kB\n"
            "MemFree:         2097152 kB\n"
            "MemAvailable:   10485760 kB\n"
            "Buffers:          123456 kB\n"
            "HugePages_Total:       0\n");
  }

 private:
  static void put(const std::string& path, const std::string& text) {
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    spool::testing::write_file(path, text);
  }

  TempDir dir_;
  MemoryPaths paths_;
};

// The tree's snapshot; a failed read fails the test (and gives an all-zero snapshot).
MemorySnapshot snapshot_of(const FakeTree& t) {
  auto r = read_memory_snapshot(t.paths());
  EXPECT_TRUE(r.is_ok()) << r.status().to_string();
  return r.is_ok() ? r.value() : MemorySnapshot{};
}

// A cgroup reading with this limit and room left; used is the rest (the tests that set usage
// above the limit check used themselves).
void expect_cgroup(const MemorySnapshot& s, std::uint64_t limit, std::uint64_t available) {
  EXPECT_TRUE(s.from_cgroup);
  EXPECT_EQ(s.limit_bytes, limit);
  EXPECT_EQ(s.available_bytes, available);
  if (available > 0) {
    EXPECT_EQ(s.used_bytes, limit - available);
  }
}

void expect_typical_meminfo(const MemorySnapshot& s) {
  EXPECT_FALSE(s.from_cgroup);
  EXPECT_EQ(s.limit_bytes, 16 * kGiB);
  EXPECT_EQ(s.available_bytes, 10 * kGiB);
  EXPECT_EQ(s.used_bytes, 6 * kGiB);
}

std::string error_of(const Result<MemorySnapshot>& r) {
  EXPECT_FALSE(r.is_ok());
  if (r.is_ok()) return "";
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  return r.status().message();
}

// ---------------------------------------------------------------- cgroup v2

TEST(MemorySnapshotCgroup, OwnLimitGivesLimitCurrentAndTheRest) {
  FakeTree t;
  t.self_cgroup("0::/app.slice/svc.service\n");
  t.cgroup_limit("/app.slice/svc.service", 1 * kGiB, 256 * kMiB);
  t.typical_meminfo();
  expect_cgroup(snapshot_of(t), 1 * kGiB, 768 * kMiB);
}

TEST(MemorySnapshotCgroup, UsageAboveTheLimitLeavesNothingAvailable) {
  FakeTree t;
  t.self_cgroup("0::/svc\n");
  t.cgroup_limit("/svc", 100 * kMiB, 120 * kMiB);  // memory.current may overshoot briefly
  const MemorySnapshot s = snapshot_of(t);
  EXPECT_EQ(s.used_bytes, 120 * kMiB);
  EXPECT_EQ(s.available_bytes, 0u);
}

TEST(MemorySnapshotCgroup, InactiveFileCacheCountsAsAvailable) {
  FakeTree t;
  t.self_cgroup("0::/svc\n");
  t.cgroup_limit("/svc", 1 * kGiB, 900 * kMiB);
  t.cgroup_file("/svc", "memory.stat",
                "anon 104857600\nfile 838860800\nactive_file 104857600\n"
                "inactive_file 734003200\nslab 1000\n");
  expect_cgroup(snapshot_of(t), 1 * kGiB, 1 * kGiB - (900 - 700) * kMiB);
}

TEST(MemorySnapshotCgroup, UnusableMemoryStatCountsNothingAsReclaimable) {
  for (const char* stat : {"inactive_file lots\n", "anon 5\n", "",
                           "inactive_file 999999999999\n" /* above current: clamps */}) {
    SCOPED_TRACE(stat);
    FakeTree t;
    t.self_cgroup("0::/svc\n");
    t.cgroup_limit("/svc", 1 * kGiB, 300 * kMiB);
    t.cgroup_file("/svc", "memory.stat", stat);
    const MemorySnapshot s = snapshot_of(t);
    EXPECT_TRUE(s.from_cgroup);
    const bool clamped = std::string(stat).find("999") != std::string::npos;
    EXPECT_EQ(s.used_bytes, clamped ? 0 : 300 * kMiB);
    EXPECT_LE(s.available_bytes, s.limit_bytes);
  }
}

TEST(MemorySnapshotCgroup, LimitOnAnAncestorIsFound) {
  FakeTree t;
  t.self_cgroup("0::/kubepods/pod1/ctr\n");
  t.cgroup_unlimited("/kubepods/pod1/ctr", 50 * kMiB);
  t.cgroup_limit("/kubepods/pod1", 512 * kMiB, 200 * kMiB);
  t.cgroup_unlimited("/kubepods", 3 * kGiB);
  t.typical_meminfo();
  // Used is the ancestor's memory.current: siblings count against its limit too.
  expect_cgroup(snapshot_of(t), 512 * kMiB, 312 * kMiB);
}

TEST(MemorySnapshotCgroup, LevelsWithoutTheMemoryControllerAreSkipped) {
  FakeTree t;
  t.self_cgroup("0::/a/b/c\n");
  std::filesystem::create_directories(t.paths().cgroup_root + "/a/b/c");  // no memory.* files
  t.cgroup_limit("/a", 2 * kGiB, 1 * kGiB);
  expect_cgroup(snapshot_of(t), 2 * kGiB, 1 * kGiB);
}

TEST(MemorySnapshotCgroup, TheLevelWithLeastRoomWins) {
  // A 1 GiB leaf inside a 2 GiB parent, which other cgroups share.
  const auto leaf_in_parent = [](std::uint64_t leaf_used, std::uint64_t parent_used) {
    FakeTree t;
    t.self_cgroup("0::/parent/leaf\n");
    t.cgroup_limit("/parent/leaf", 1 * kGiB, leaf_used);
    t.cgroup_limit("/parent", 2 * kGiB, parent_used);
    return snapshot_of(t);
  };
  // The leaf's limit is lower, but its siblings have nearly filled the parent.
  expect_cgroup(leaf_in_parent(100 * kMiB, 2 * kGiB - 64 * kMiB), 2 * kGiB, 64 * kMiB);
  // Here the leaf is the tighter one.
  expect_cgroup(leaf_in_parent(1 * kGiB - 10 * kMiB, 1 * kGiB), 1 * kGiB, 10 * kMiB);
}

TEST(MemorySnapshotCgroup, RootLevelLimitCountsAsInAContainerNamespace) {
  // Inside a cgroup namespace the process sees itself at "/" and the mount's root files are
  // its container's.
  FakeTree t;
  t.self_cgroup("0::/\n");
  t.cgroup_limit("", 256 * kMiB, 64 * kMiB);
  expect_cgroup(snapshot_of(t), 256 * kMiB, 192 * kMiB);
}

TEST(MemorySnapshotCgroup, FindsTheV2EntryAmongV1Hierarchies) {
  FakeTree t;
  t.self_cgroup("12:memory:/docker/abc\n3:cpu,cpuacct:/docker/abc\n0::/docker/abc/\n");
  t.cgroup_limit("/docker/abc", 128 * kMiB, 28 * kMiB);
  expect_cgroup(snapshot_of(t), 128 * kMiB, 100 * kMiB);
}

// ---------------------------------------------------------------- falling back to meminfo

TEST(MemorySnapshotFallback, NoNumericLimitUpToTheRootUsesMeminfo) {
  FakeTree t;
  t.self_cgroup("0::/user.slice/session\n");
  t.cgroup_unlimited("/user.slice/session", 10 * kMiB);
  t.cgroup_unlimited("/user.slice", 1 * kGiB);
  t.typical_meminfo();
  expect_typical_meminfo(snapshot_of(t));
}

TEST(MemorySnapshotFallback, NoV2EntryUsesMeminfo) {
  FakeTree t;
  t.self_cgroup("4:memory:/limited\n1:cpu:/\n");
  t.typical_meminfo();
  expect_typical_meminfo(snapshot_of(t));
}

TEST(MemorySnapshotFallback, MissingProcSelfCgroupUsesMeminfo) {
  FakeTree t;
  t.typical_meminfo();
  expect_typical_meminfo(snapshot_of(t));
}

TEST(MemorySnapshotFallback, PathOutsideTheNamespaceIsNotFollowed) {
  FakeTree t;
  t.self_cgroup("0::/../escaped\n");
  // What <cgroup_root>/../escaped would name: must not be read.
  std::filesystem::create_directories(t.root() + "/escaped");
  spool::testing::write_file(t.root() + "/escaped/memory.max", "1048576\n");
  spool::testing::write_file(t.root() + "/escaped/memory.current", "0\n");
  t.typical_meminfo();
  expect_typical_meminfo(snapshot_of(t));
}

TEST(MemorySnapshotFallback, MissingMemoryCurrentUsesMeminfo) {
  FakeTree t;
  t.self_cgroup("0::/svc\n");
  t.cgroup_file("/svc", "memory.max", "1073741824\n");
  t.typical_meminfo();
  expect_typical_meminfo(snapshot_of(t));
}

TEST(MemorySnapshotFallback, GarbageInCgroupFilesUsesMeminfo) {
  struct Case {
    const char* max;
    const char* current;
  };
  for (const Case& c : {Case{"lots\n", "5\n"}, Case{"-1\n", "5\n"}, Case{"", "5\n"},
                        Case{"12 34\n", "5\n"}, Case{"99999999999999999999999\n", "5\n"},
                        Case{"1073741824\n", "many\n"}, Case{"1073741824\n", ""}}) {
    SCOPED_TRACE(std::string("max=") + c.max + " current=" + c.current);
    FakeTree t;
    t.self_cgroup("0::/svc\n");
    t.cgroup_file("/svc", "memory.max", c.max);
    t.cgroup_file("/svc", "memory.current", c.current);
    t.typical_meminfo();
    expect_typical_meminfo(snapshot_of(t));
  }
}

TEST(MemorySnapshotFallback, MeminfoAvailableAboveTotalIsClamped) {
  FakeTree t;
  t.meminfo("MemTotal: 1024 kB\nMemAvailable: 2048 kB\n");
  const MemorySnapshot s = snapshot_of(t);
  EXPECT_FALSE(s.from_cgroup);
  EXPECT_EQ(s.limit_bytes, 1024u * 1024);
  EXPECT_EQ(s.available_bytes, 1024u * 1024);
  EXPECT_EQ(s.used_bytes, 0u);
}

// ---------------------------------------------------------------- errors

TEST(MemorySnapshotErrors, NothingReadableNamesBothSources) {
  FakeTree t;
  const std::string msg = error_of(read_memory_snapshot(t.paths()));
  EXPECT_NE(msg.find(t.paths().proc_root + "/self/cgroup"), std::string::npos) << msg;
  EXPECT_NE(msg.find(t.paths().proc_root + "/meminfo"), std::string::npos) << msg;
  EXPECT_NE(msg.find(::strerror(ENOENT)), std::string::npos) << msg;
}

TEST(MemorySnapshotErrors, GarbageLimitAndNoMeminfoSayWhatWasWrong) {
  FakeTree t;
  t.self_cgroup("0::/svc\n");
  t.cgroup_file("/svc", "memory.max", "lots\n");
  t.cgroup_file("/svc", "memory.current", "5\n");
  const std::string msg = error_of(read_memory_snapshot(t.paths()));
  EXPECT_NE(msg.find(t.paths().cgroup_root + "/svc/memory.max"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'lots'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("/meminfo"), std::string::npos) << msg;
}

TEST(MemorySnapshotErrors, NoLimitAndGarbageMeminfo) {
  FakeTree t;
  t.self_cgroup("0::/svc\n");
  t.cgroup_unlimited("/svc", 5);
  t.meminfo("MemTotal:       lots kB\nMemAvailable:   10 kB\n");
  const std::string msg = error_of(read_memory_snapshot(t.paths()));
  EXPECT_NE(msg.find("no cgroup v2 memory limit on /svc"), std::string::npos) << msg;
  EXPECT_NE(msg.find("malformed line 'MemTotal:       lots kB'"), std::string::npos) << msg;
}

TEST(MemorySnapshotErrors, MalformedMeminfoValues) {
  for (const char* meminfo :
       {"MemTotal: 16 kB\nMemAvailable: -3 kB\n", "MemTotal: 16 MB\nMemAvailable: 3 kB\n",
        "MemTotal: 18446744073709551615 kB\nMemAvailable: 1 kB\n", "MemTotal:\nMemAvailable: 1\n",
        "MemTotal: 0x10 kB\nMemAvailable: 1 kB\n"}) {
    SCOPED_TRACE(meminfo);
    FakeTree t;
    t.meminfo(meminfo);
    const std::string msg = error_of(read_memory_snapshot(t.paths()));
    EXPECT_NE(msg.find("/meminfo: malformed line '"), std::string::npos) << msg;
  }
}

TEST(MemorySnapshotErrors, MeminfoWithoutTheNeededLines) {
  {
    FakeTree t;
    t.meminfo("MemTotal: 16 kB\nMemFree: 3 kB\n");  // before Linux 3.14
    const std::string msg = error_of(read_memory_snapshot(t.paths()));
    EXPECT_NE(msg.find("/meminfo: no MemAvailable line"), std::string::npos) << msg;
  }
  {
    FakeTree t;
    t.meminfo("");
    const std::string msg = error_of(read_memory_snapshot(t.paths()));
    EXPECT_NE(msg.find("/meminfo: no MemTotal line"), std::string::npos) << msg;
  }
}

TEST(MemorySnapshotErrors, OversizedFileIsRefusedNotTruncated) {
  FakeTree t;
  t.meminfo("MemTotal: 16 kB\nMemAvailable: 8 kB\n" + std::string(64 * 1024, '#'));
  const std::string msg = error_of(read_memory_snapshot(t.paths()));
  EXPECT_NE(msg.find(::strerror(EFBIG)), std::string::npos) << msg;
}

// ---------------------------------------------------------------- this machine

TEST(MemorySnapshotHere, IsPlausible) {
  auto r = read_memory_snapshot();
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_GT(r->limit_bytes, 0u);
  EXPECT_LE(r->available_bytes, r->limit_bytes);
}

}  // namespace
}  // namespace spool::io

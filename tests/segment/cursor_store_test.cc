// CursorStore: named consumer cursors persisted as small checksummed files.
#include "segment/cursor_store.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/time.h>

#include <filesystem>
#include <thread>

#include "support/temp_dir.h"

namespace spool::segment {
namespace {

using spool::testing::read_file;
using spool::testing::TempDir;
using spool::testing::write_file;

CursorStore open_store(const std::string& dir) {
  auto s = CursorStore::open(dir);
  EXPECT_TRUE(s) << s.status().to_string();
  return std::move(s).value();
}

CursorRecord rec(std::string name, std::uint64_t next, std::string state = {}) {
  CursorRecord r;
  r.name = std::move(name);
  r.next_offset = next;
  r.updated_ns = 1234567890123;
  r.state = std::move(state);
  return r;
}

TEST(CursorStore, OpenCreatesTheCursorDirectory) {
  TempDir dir;
  CursorStore store = open_store(dir.sub("log"));
  EXPECT_EQ(store.dir(), dir.sub("log") + "/cursors");
  EXPECT_TRUE(std::filesystem::is_directory(store.dir()));
}

TEST(CursorStore, CommitAndLoadRoundTrip) {
  TempDir dir;
  CursorStore store = open_store(dir.path());
  std::string state(CursorStore::kMaxStateBytes, '\0');
  for (std::size_t i = 0; i < state.size(); ++i) state[i] = static_cast<char>(i * 7);
  ASSERT_TRUE(store.commit(rec("otlp-main", 42, state)));
  auto loaded = store.load("otlp-main");
  ASSERT_TRUE(loaded) << loaded.status().to_string();
  ASSERT_TRUE(loaded->has_value());
  EXPECT_EQ((*loaded)->name, "otlp-main");
  EXPECT_EQ((*loaded)->next_offset, 42u);
  EXPECT_EQ((*loaded)->updated_ns, 1234567890123);
  EXPECT_EQ((*loaded)->state, state);
  // A second commit replaces the value; a zero timestamp is stamped with now.
  CursorRecord r = rec("otlp-main", 43);
  r.updated_ns = 0;
  ASSERT_TRUE(store.commit(r));
  loaded = store.load("otlp-main");
  ASSERT_TRUE(loaded && loaded->has_value());
  EXPECT_EQ((*loaded)->next_offset, 43u);
  EXPECT_GT((*loaded)->updated_ns, 0);
  EXPECT_TRUE((*loaded)->state.empty());
  // Survives a fresh store object (another process).
  CursorStore again = open_store(dir.path());
  loaded = again.load("otlp-main");
  ASSERT_TRUE(loaded && loaded->has_value());
  EXPECT_EQ((*loaded)->next_offset, 43u);
}

TEST(CursorStore, LoadOfAbsentCursorIsNullopt) {
  TempDir dir;
  CursorStore store = open_store(dir.path());
  auto loaded = store.load("nobody");
  ASSERT_TRUE(loaded);
  EXPECT_FALSE(loaded->has_value());
}

TEST(CursorStore, ListIsSortedByNameAndRemoveDeletes) {
  TempDir dir;
  CursorStore store = open_store(dir.path());
  ASSERT_TRUE(store.commit(rec("zeta", 3)));
  ASSERT_TRUE(store.commit(rec("alpha", 1)));
  ASSERT_TRUE(store.commit(rec("Mid_9", 2)));
  auto all = store.list();
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].name, "Mid_9");
  EXPECT_EQ((*all)[1].name, "alpha");
  EXPECT_EQ((*all)[2].name, "zeta");
  EXPECT_EQ((*all)[2].next_offset, 3u);

  ASSERT_TRUE(store.remove("alpha"));
  EXPECT_EQ(store.remove("alpha").code(), StatusCode::kNotFound);
  all = store.list();
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_FALSE(std::filesystem::exists(store.path_of("alpha")));
}

TEST(CursorStore, InvalidNamesAreRefused) {
  TempDir dir;
  CursorStore store = open_store(dir.path());
  for (const std::string& bad : {std::string(), std::string(65, 'a'), std::string(".hidden"),
                                 std::string("a/b"), std::string(".."), std::string("sp ace"),
                                 std::string("nul\0x", 5), std::string("é")}) {
    const Status s = CursorStore::validate_name(bad);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_FALSE(s.message().empty());
    EXPECT_EQ(store.commit(rec(bad, 1)).code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(store.load(bad).status().code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(store.remove(bad).code(), StatusCode::kInvalidArgument) << bad;
  }
  for (const std::string& good : {std::string("a"), std::string(64, 'z'), std::string("a.b-c_D9"),
                                  std::string("9"), std::string("x..")}) {
    EXPECT_TRUE(CursorStore::validate_name(good)) << good;
  }
}

TEST(CursorStore, OversizeStateIsRefused) {
  TempDir dir;
  CursorStore store = open_store(dir.path());
  const Status s = store.commit(rec("big", 1, std::string(CursorStore::kMaxStateBytes + 1, 'x')));
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find(std::to_string(CursorStore::kMaxStateBytes + 1)), std::string::npos) << s.message();
  EXPECT_FALSE(std::filesystem::exists(store.path_of("big")));
}

void expect_corruption_named(const CursorStore& store, const std::string& name, const char* what) {
  auto loaded = store.load(name);
  ASSERT_FALSE(loaded) << what;
  EXPECT_EQ(loaded.status().code(), StatusCode::kCorruption) << what;
  EXPECT_NE(loaded.status().message().find(store.path_of(name)), std::string::npos)
      << what << ": " << loaded.status().message();
  auto all = store.list();
  ASSERT_FALSE(all) << what;
  EXPECT_EQ(all.status().code(), StatusCode::kCorruption);
  EXPECT_NE(all.status().message().find(store.path_of(name)), std::string::npos);
  auto floor = store.min_next_offset();
  ASSERT_FALSE(floor) << what;
  EXPECT_EQ(floor.status().code(), StatusCode::kCorruption);
}

TEST(CursorStore, EveryFlippedByteIsCorruption) {
  TempDir dir;
  CursorStore store = open_store(dir.path());
  ASSERT_TRUE(store.commit(rec("c", 7, "state")));
  const std::string good = read_file(store.path_of("c"));
  for (std::size_t i = 0; i < good.size(); ++i) {
    std::string bad = good;
    bad[i] = static_cast<char>(bad[i] ^ 0x10);
    write_file(store.path_of("c"), bad);
    expect_corruption_named(store, "c", "flipped byte");
    if (::testing::Test::HasFatalFailure()) return;
  }
}

TEST(CursorStore, TruncatedWrongMagicAndOversizeFilesAreCorruption) {
  TempDir dir;
  CursorStore store = open_store(dir.path());
  ASSERT_TRUE(store.commit(rec("c", 7, "state")));
  const std::string good = read_file(store.path_of("c"));
  for (std::size_t len : {std::size_t{0}, std::size_t{1}, std::size_t{47}, good.size() - 1}) {
    write_file(store.path_of("c"), good.substr(0, len));
    expect_corruption_named(store, "c", "truncated");
  }
  std::string magic = good;
  magic[0] = 'X';
  write_file(store.path_of("c"), magic);
  expect_corruption_named(store, "c", "magic");
  write_file(store.path_of("c"), good + "trailing");
  expect_corruption_named(store, "c", "trailing bytes");
  write_file(store.path_of("c"), std::string(CursorStore::kMaxFileBytes + 1, 'x'));
  expect_corruption_named(store, "c", "oversize");
  // A valid file under another cursor's name.
  ASSERT_TRUE(store.commit(rec("d", 1)));
  std::filesystem::copy_file(store.path_of("d"), store.path_of("c"),
                             std::filesystem::copy_options::overwrite_existing);
  expect_corruption_named(store, "c", "wrong name");
}

TEST(CursorStore, DecodeRejectsOverlongLengthsWithoutReadingPastTheEnd) {
  CursorRecord r = rec("abc", 5, "xyz");
  std::string bytes = CursorStore::encode(r);
  ASSERT_TRUE(CursorStore::decode(bytes));
  std::string bad = bytes;
  bad[16] = static_cast<char>(0xff);  // state length
  bad[17] = static_cast<char>(0xff);
  EXPECT_EQ(CursorStore::decode(bad).status().code(), StatusCode::kCorruption);
  bad = bytes;
  bad[12] = 0;  // name length 0
  EXPECT_EQ(CursorStore::decode(bad).status().code(), StatusCode::kCorruption);
}

TEST(CursorStore, LeftoverTempFilesAreIgnoredAndReplaced) {
  TempDir dir;
  CursorStore store = open_store(dir.path());
  ASSERT_TRUE(store.commit(rec("c", 10)));
  // A crash after writing the temp file, before the rename.
  write_file(store.path_of("c") + ".tmp", "torn garbage");
  write_file(store.dir() + "/orphan.cursor.tmp", "torn garbage");
  auto all = store.list();
  ASSERT_TRUE(all) << all.status().to_string();
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].next_offset, 10u);
  // The next commit of that name overwrites its temp file.
  ASSERT_TRUE(store.commit(rec("c", 11)));
  EXPECT_FALSE(std::filesystem::exists(store.path_of("c") + ".tmp"));
  // open() removes stale ones (older than kStaleTempAgeNs); fresh ones may be in flight.
  CursorStore reopened = open_store(dir.path());
  EXPECT_TRUE(std::filesystem::exists(store.dir() + "/orphan.cursor.tmp"));
  const std::string orphan = store.dir() + "/orphan.cursor.tmp";
  struct timeval old_times[2] = {{1, 0}, {1, 0}};
  ASSERT_EQ(::utimes(orphan.c_str(), old_times), 0);
  reopened = open_store(dir.path());
  EXPECT_FALSE(std::filesystem::exists(orphan));
  auto c = reopened.load("c");
  ASSERT_TRUE(c && c->has_value());
  EXPECT_EQ((*c)->next_offset, 11u);
}

TEST(CursorStore, UnrelatedFilesAreIgnored) {
  TempDir dir;
  CursorStore store = open_store(dir.path());
  write_file(store.dir() + "/README", "hello");
  write_file(store.dir() + "/.hidden.cursor", "not ours");
  std::filesystem::create_directory(store.dir() + "/sub.cursor");
  auto all = store.list();
  ASSERT_TRUE(all) << all.status().to_string();
  EXPECT_TRUE(all->empty());
}

TEST(CursorStore, MinNextOffset) {
  TempDir dir;
  // No directory at all (a log nobody consumes): no floor, nothing created.
  const CursorStore absent = CursorStore::at(dir.sub("nolog"));
  auto floor = absent.min_next_offset();
  ASSERT_TRUE(floor);
  EXPECT_FALSE(floor->has_value());
  EXPECT_FALSE(std::filesystem::exists(dir.sub("nolog")));

  CursorStore store = open_store(dir.path());
  floor = store.min_next_offset();
  ASSERT_TRUE(floor);
  EXPECT_FALSE(floor->has_value());
  ASSERT_TRUE(store.commit(rec("a", 50)));
  floor = store.min_next_offset();
  ASSERT_TRUE(floor && floor->has_value());
  EXPECT_EQ(**floor, 50u);
  ASSERT_TRUE(store.commit(rec("b", 20)));
  ASSERT_TRUE(store.commit(rec("c", 90)));
  floor = store.min_next_offset();
  ASSERT_TRUE(floor && floor->has_value());
  EXPECT_EQ(**floor, 20u);
  ASSERT_TRUE(store.remove("b"));
  floor = store.min_next_offset();
  ASSERT_TRUE(floor && floor->has_value());
  EXPECT_EQ(**floor, 50u);
}

TEST(CursorStore, ConcurrentCommitsOfDifferentNames) {
  TempDir dir;
  CursorStore store = open_store(dir.path());
  constexpr int kThreads = 4, kCommits = 100;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 1; i <= kCommits; ++i) {
        if (!store.commit(rec("worker-" + std::to_string(t), static_cast<std::uint64_t>(i),
                              std::string(static_cast<std::size_t>(i), 's')))) {
          ++failures;
        }
        // Reads run concurrently with other names' commits.
        if (!store.list()) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  auto all = store.list();
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), static_cast<std::size_t>(kThreads));
  for (const auto& r : *all) {
    EXPECT_EQ(r.next_offset, static_cast<std::uint64_t>(kCommits));
    EXPECT_EQ(r.state.size(), static_cast<std::size_t>(kCommits));
  }
}

}  // namespace
}  // namespace spool::segment

// A cursor commit is atomic under kill -9: a child commits one cursor in a tight loop with
// increasing values and reports each committed value through a pipe; it is killed at random
// moments, many times. After every kill the cursor loads (never torn, never corrupt) with a
// value the child committed: at least the last one it reported, at most one beyond it.
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <random>
#include <thread>

#include "segment/cursor_store.h"
#include "support/child_process.h"
#include "support/temp_dir.h"
#include "support/time_scale.h"

namespace spool::segment {
namespace {

constexpr int kKills = 40;
constexpr char kName[] = "forwarder";

// The state blob of value v: its size and bytes derive from v, so a mix of two commits
// would show.
std::string state_for(std::uint64_t v) {
  return std::string(static_cast<std::size_t>(v % 3000), static_cast<char>('a' + v % 26));
}

// Child body: commits from, from+1, ... and writes each committed value to `fd`. Never
// returns; never runs the parent's destructors.
[[noreturn]] void commit_forever(const std::string& dir, std::uint64_t from, int fd) {
  auto store = CursorStore::open(dir);
  if (!store) ::_exit(3);
  for (std::uint64_t v = from;; ++v) {
    CursorRecord r;
    r.name = kName;
    r.next_offset = v;
    r.state = state_for(v);
    if (!store->commit(r)) ::_exit(4);
    if (::write(fd, &v, sizeof v) != static_cast<ssize_t>(sizeof v)) ::_exit(5);
  }
}

TEST(CursorCrash, KillNineDuringCommitsLeavesACommittedValue) {
  testing::TempDir dir;
  std::mt19937 rng(20240611);
  std::uniform_int_distribution<int> delay_us(0, 20'000);
  std::uint64_t next_value = 1;
  int killed_with_reports = 0;
  for (int round = 0; round < kKills; ++round) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    testing::ForkedChild child(testing::fork_tied_to_parent());
    ASSERT_GE(child.pid(), 0);
    if (child.pid() == 0) {
      ::close(fds[0]);
      commit_forever(dir.path(), next_value, fds[1]);
    }
    ::close(fds[1]);
    // Every other round kills only once the child is committing (its first report is in the
    // pipe): on a loaded machine a child can need longer than any delay to start. The other
    // rounds kill at any point, even before the first commit.
    if (round % 2 == 0) {
      pollfd started{fds[0], POLLIN, 0};
      const auto limit = testing::scaled(std::chrono::seconds(30));
      ASSERT_EQ(::poll(&started, 1, static_cast<int>(limit.count())), 1) << "round " << round;
    }
    std::this_thread::sleep_for(std::chrono::microseconds(delay_us(rng)));
    const int ended = child.kill_and_wait();
    ASSERT_EQ(ended, 128 + SIGKILL) << "child exited with " << ended;
    // Everything the child reported before it died (the pipe keeps it after the kill).
    std::optional<std::uint64_t> last_reported;
    std::uint64_t v;
    std::size_t partial = 0;
    char buf[sizeof v];
    for (;;) {
      const ssize_t n = ::read(fds[0], buf + partial, sizeof buf - partial);
      if (n <= 0) break;
      partial += static_cast<std::size_t>(n);
      if (partial == sizeof buf) {
        std::memcpy(&v, buf, sizeof v);
        last_reported = v;
        partial = 0;
      }
    }
    ::close(fds[0]);

    auto store = CursorStore::open(dir.path());
    ASSERT_TRUE(store) << store.status().to_string();
    auto loaded = store->load(kName);
    ASSERT_TRUE(loaded) << "round " << round << ": " << loaded.status().to_string();
    if (!loaded->has_value()) {
      // Killed before the very first commit completed.
      ASSERT_EQ(next_value, 1u) << "round " << round;
      ASSERT_FALSE(last_reported.has_value());
      continue;
    }
    const CursorRecord& r = **loaded;
    if (last_reported) {
      ++killed_with_reports;
      EXPECT_GE(r.next_offset, *last_reported) << "round " << round;
      // The child may have committed one more value before it could report it.
      EXPECT_LE(r.next_offset, *last_reported + 1) << "round " << round;
    } else {
      EXPECT_GE(r.next_offset, next_value - 1) << "round " << round;
      EXPECT_LE(r.next_offset, next_value) << "round " << round;
    }
    EXPECT_EQ(r.state, state_for(r.next_offset)) << "round " << round;
    // The next child continues above every value committed so far.
    next_value = r.next_offset + 1;
    // Leftover temp files never show up as cursors.
    auto all = store->list();
    ASSERT_TRUE(all) << all.status().to_string();
    ASSERT_EQ(all->size(), 1u);
  }
  // The random delays must have let most children commit something.
  EXPECT_GT(killed_with_reports, kKills / 4);
}

}  // namespace
}  // namespace spool::segment

// dead_letter_registry: the dead-letter log is shared within a process, held only while used,
// and a process that finds it held by another waits its turn (bounded), then gets Locked.
#include "engine/forward/dead_letter_registry.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>

#include "support/child_process.h"
#include "support/log_helpers.h"
#include "support/temp_dir.h"

namespace spool::engine {
namespace {

using namespace std::chrono_literals;

DeadLetterInput letter(std::uint64_t offset, std::span<const std::uint8_t> payload) {
  DeadLetterInput in;
  in.log_id = 1;
  in.offset = offset;
  in.type = 1;
  in.attempts = 1;
  in.error = "HTTP 400";
  in.payload = payload;
  return in;
}

std::uint64_t letters_in(const std::string& dir) {
  auto read = DeadLetterLog::open_read_only(dir);
  EXPECT_TRUE(read) << read.status().to_string();
  return read ? (*read)->count() : 0;
}

TEST(DeadLetterRegistry, UsersInOneProcessShareOneOpenLogClosedWithTheLast) {
  testing::TempDir dir;
  EXPECT_FALSE(has_dead_letter_log(dir.path()));
  auto first = acquire_dead_letter_log(dir.path());
  ASSERT_TRUE(first) << first.status().to_string();
  EXPECT_TRUE(has_dead_letter_log(dir.path()));
  auto second = acquire_dead_letter_log(dir.path(), 0ms);  // no wait needed: the same instance
  ASSERT_TRUE(second) << second.status().to_string();
  EXPECT_EQ(first->get(), second->get());
  first->reset();
  second->reset();
  // Closed with its last user: another open (as another process would) gets the lock.
  auto reopened = DeadLetterLog::open(dir.path());
  EXPECT_TRUE(reopened) << reopened.status().to_string();
}

TEST(DeadLetterRegistry, AHeldLogIsWaitedForAndLockedAfterTheWait) {
  testing::TempDir dir;
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  // Another process appends one letter and holds the log for a moment, as a forwarder does.
  testing::ForkedChild holder = testing::ForkedChild::start([&] {
    ::close(ready[0]);
    auto log = DeadLetterLog::open(dir.path());
    if (!log) return 1;
    const std::vector<std::uint8_t> payload{1, 2, 3};
    const DeadLetterInput in = letter(7, payload);
    if (!(*log)->append(std::span<const DeadLetterInput>(&in, 1))) return 2;
    const char byte = 1;
    if (::write(ready[1], &byte, 1) != 1) return 3;
    ::usleep(500'000);
    return 0;  // exits: the lock goes with it
  });
  ::close(ready[1]);
  char byte = 0;
  ASSERT_EQ(::read(ready[0], &byte, 1), 1);
  ::close(ready[0]);

  auto refused = acquire_dead_letter_log(dir.path(), 0ms);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.status().code(), StatusCode::kLocked) << refused.status().to_string();

  auto waited = acquire_dead_letter_log(dir.path(), 60s);  // its turn comes when the holder exits
  ASSERT_TRUE(waited) << waited.status().to_string();
  const std::vector<std::uint8_t> payload{4, 5};
  const DeadLetterInput in = letter(8, payload);
  ASSERT_TRUE((*waited)->append(std::span<const DeadLetterInput>(&in, 1)));
  EXPECT_EQ(holder.wait(), 0);
  waited->reset();
  EXPECT_EQ(letters_in(dir.path()), 2u);
}

}  // namespace
}  // namespace spool::engine

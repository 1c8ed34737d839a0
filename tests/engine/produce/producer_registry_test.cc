// ProducerRegistry across thread and Buffer lifetimes: a producer thread's ring is found
// through a thread_local cache, so these check that no thread ever reaches a ring that was
// freed. A thread that exits has what it queued written; a thread_local destructor that
// appends at thread exit (after the thread's other thread_locals are gone) still gets its
// records written; a thread that outlives a Buffer appends to the next one (which may have
// the same address) without touching the old ring. Run under ASan and TSan.
#include <gtest/gtest.h>

#include <atomic>
#include <barrier>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "engine/produce/buffer_core.h"
#include "spool/buffer.h"
#include "spool/record_encoder.h"
#include "support/seq_records.h"
#include "support/small_buffer.h"
#include "support/temp_dir.h"

namespace spool {
namespace {

using testing::append_seq;
using testing::read_seq_records;
using testing::open_small_buffer;
using testing::small_buffer_options;
using testing::TempDir;

TEST(ProducerRegistry, WhatAnExitedThreadQueuedIsWrittenAndItsRingRetired) {
  TempDir dir;
  auto core = engine::BufferCore::open(dir.path(), small_buffer_options());
  ASSERT_TRUE(core.is_ok()) << core.status().to_string();
  (*core)->set_writer_paused(true);  // the records stay in the ring until the thread is gone
  std::thread producer([&] {
    for (std::uint64_t i = 0; i < 50; ++i) ASSERT_TRUE(append_seq(**core, 0, i));
  });
  producer.join();
  EXPECT_EQ((*core)->stats().queue_depth, 50u);
  (*core)->set_writer_paused(false);
  ASSERT_TRUE((*core)->flush(0));
  // The writer drops the drained, abandoned ring on an idle pass.
  while ((*core)->stats().producers != 0) std::this_thread::yield();
  const BufferStats s = (*core)->stats();
  EXPECT_EQ(s.written, 50u);
  EXPECT_EQ(s.accepted, 50u);  // the retired ring's counters are kept
  ASSERT_TRUE((*core)->shutdown());
  EXPECT_EQ(read_seq_records(dir.path()).size(), 50u);
}

// A "seq" record (support/seq_records.h) given to the Buffer unencoded, so that the Buffer's
// per-thread encoder serializes it (append_seq's helper has thread_locals of its own).
Status append_raw_seq(Buffer& buffer, std::uint32_t producer, std::uint64_t seq) {
  std::uint8_t data[12];
  std::memcpy(data, &producer, 4);
  std::memcpy(data + 4, &seq, 8);
  RawRecord record;
  record.type_tag = "seq";
  record.data = data;
  return buffer.append(record);
}

// Appends from its destructor, at thread exit, to the Buffers it names.
struct AppendAtThreadExit {
  std::vector<Buffer*> buffers;
  std::uint32_t producer = 0;
  ~AppendAtThreadExit() {
    for (Buffer* b : buffers) {
      EXPECT_TRUE(append_raw_seq(*b, producer, 1000)) << "append from a thread_local destructor";
      LogRecord log;
      log.body = "bye";
      EXPECT_TRUE(b->append(log));
    }
  }
};
thread_local AppendAtThreadExit append_at_exit;

TEST(ProducerRegistry, ThreadLocalDestructorsMayAppendAtThreadExit) {
  TempDir dir;
  auto used = open_small_buffer(dir.sub("used"));      // the thread appended to it before exiting
  auto unused = open_small_buffer(dir.sub("unused"));  // first touched from the destructor
  ASSERT_NE(used, nullptr);
  ASSERT_NE(unused, nullptr);
  std::thread producer([&] {
    // Constructed before the thread's first append, so destroyed after everything that
    // first append set up for this thread.
    append_at_exit.buffers = {used.get(), unused.get()};
    append_at_exit.producer = 1;
    for (std::uint64_t i = 0; i < 10; ++i) ASSERT_TRUE(append_raw_seq(*used, 1, i));
    LogRecord log;
    log.body = "hello";
    ASSERT_TRUE(used->append(log));
  });
  producer.join();
  ASSERT_TRUE(used->shutdown());
  ASSERT_TRUE(unused->shutdown());
  EXPECT_EQ(used->stats().written, 13u);  // 10 + 1 in the thread, 2 at its exit
  EXPECT_EQ(unused->stats().written, 2u);
  const auto records = read_seq_records(dir.sub("used"));
  ASSERT_EQ(records.size(), 11u);
  EXPECT_EQ(records.back().seq, 1000u);
  EXPECT_EQ(read_seq_records(dir.sub("unused")).size(), 1u);
}

// Threads append to a Buffer, stay alive while it is destroyed and another is opened (the
// allocator often hands out the same addresses), then append again.
TEST(ProducerRegistry, ThreadsOutlivingABufferAppendToTheNextOne) {
  TempDir dir;
  constexpr std::uint32_t kThreads = 4;
  std::unique_ptr<Buffer> buffer = open_small_buffer(dir.sub("first"));
  ASSERT_NE(buffer, nullptr);
  std::barrier sync(kThreads + 1);
  std::vector<std::thread> threads;
  for (std::uint32_t t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (std::uint64_t i = 0; i < 100; ++i) EXPECT_TRUE(append_seq(*buffer, t, i));
      sync.arrive_and_wait();  // first buffer done
      sync.arrive_and_wait();  // second buffer open
      for (std::uint64_t i = 0; i < 100; ++i) EXPECT_TRUE(append_seq(*buffer, t, i));
      sync.arrive_and_wait();
    });
  }
  sync.arrive_and_wait();
  ASSERT_TRUE(buffer->shutdown());
  EXPECT_EQ(buffer->stats().written, kThreads * 100u);
  buffer.reset();  // frees the threads' rings while the threads live on
  buffer = open_small_buffer(dir.sub("second"));
  ASSERT_NE(buffer, nullptr);
  sync.arrive_and_wait();
  sync.arrive_and_wait();
  for (auto& t : threads) t.join();
  ASSERT_TRUE(buffer->shutdown());
  EXPECT_EQ(buffer->stats().written, kThreads * 100u);
  EXPECT_EQ(read_seq_records(dir.sub("first")).size(), kThreads * 100u);
  EXPECT_EQ(read_seq_records(dir.sub("second")).size(), kThreads * 100u);
}

// Many short-lived threads over many Buffers: rings come and go on both sides.
TEST(ProducerRegistry, ShortLivedThreadsAndBuffersInterleaved) {
  TempDir dir;
  for (int round = 0; round < 5; ++round) {
    auto buffer = open_small_buffer(dir.sub("log" + std::to_string(round)));
    ASSERT_NE(buffer, nullptr);
    std::vector<std::thread> threads;
    for (std::uint32_t t = 0; t < 8; ++t) {
      threads.emplace_back([&, t] {
        for (std::uint64_t i = 0; i < 50; ++i) EXPECT_TRUE(append_seq(*buffer, t, i));
      });
    }
    for (auto& t : threads) t.join();
    ASSERT_TRUE(buffer->shutdown());
    EXPECT_EQ(buffer->stats().written, 8u * 50u);
  }
}

}  // namespace
}  // namespace spool

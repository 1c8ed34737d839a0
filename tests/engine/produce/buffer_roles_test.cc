// Buffer roles (Options::role): the writer holds the lock; others attach through shared rings;
// an attached kAuto buffer takes over when the writer goes away; records whose append
// returned OK survive the kill -9 of the producer, of the writer, or of both.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <thread>

#include "spool/buffer.h"
#include "spool/producers.h"
#include "support/child_process.h"
#include "support/seq_records.h"
#include "support/temp_dir.h"
#include "support/time_scale.h"

namespace spool::testing {
namespace {

using namespace std::chrono_literals;

Options small_options(Role role = Role::kAuto) {
  Options o;
  o.role = role;
  o.log.segment_bytes = 1 << 20;
  o.adaptive_budget = false;
  return o;
}

std::unique_ptr<Buffer> open_buffer(const std::string& dir, Options o) {
  auto b = Buffer::open(dir, o);
  EXPECT_TRUE(b.is_ok()) << b.status().to_string();
  return b.is_ok() ? std::move(*b) : nullptr;
}

// producer -> the seqs it has in the log, in log order.
std::map<std::uint32_t, std::vector<std::uint64_t>> seqs_by_producer(const std::string& dir) {
  std::map<std::uint32_t, std::vector<std::uint64_t>> out;
  for (const SeqRecord& r : read_seq_records(dir)) out[r.producer].push_back(r.seq);
  return out;
}

void expect_exactly(const std::vector<std::uint64_t>& seqs, std::uint64_t n) {
  ASSERT_EQ(seqs.size(), n);
  for (std::uint64_t i = 0; i < n; ++i) ASSERT_EQ(seqs[i], i) << "at " << i;
}

bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + scaled(limit);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

TEST(BufferRoles, ASecondOpenAttachesAndItsRecordsAreWrittenByTheWriter) {
  TempDir tmp;
  const std::string dir = tmp.sub("log");
  auto writer = open_buffer(dir, small_options());
  auto attached = open_buffer(dir, small_options());
  ASSERT_TRUE(writer && attached);
  EXPECT_EQ(writer->role(), Role::kWriter);
  EXPECT_EQ(attached->role(), Role::kAttach);
  for (std::uint64_t i = 0; i < 500; ++i) {
    ASSERT_TRUE(append_seq(*writer, 1, i).is_ok());
    ASSERT_TRUE(append_seq(*attached, 2, i).is_ok());
  }
  ASSERT_TRUE(attached->flush(0).is_ok());
  ASSERT_TRUE(writer->flush(0).is_ok());
  const BufferStats s = attached->stats();
  EXPECT_EQ(s.appended, 500u);
  EXPECT_EQ(s.written, 500u);
  EXPECT_EQ(s.queue_depth, 0u);
  ASSERT_TRUE(attached->shutdown().is_ok());
  ASSERT_TRUE(writer->shutdown().is_ok());
  auto seqs = seqs_by_producer(dir);
  expect_exactly(seqs[1], 500);
  expect_exactly(seqs[2], 500);
}

TEST(BufferRoles, RoleWriterIsRefusedWithTheHolderAndRoleAttachNeverWrites) {
  TempDir tmp;
  const std::string dir = tmp.sub("log");
  auto writer = open_buffer(dir, small_options());
  ASSERT_TRUE(writer);
  auto refused = Buffer::open(dir, small_options(Role::kWriter));
  ASSERT_FALSE(refused.is_ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kLocked);
  EXPECT_NE(refused.status().message().find(std::to_string(::getpid())), std::string::npos)
      << refused.status().message();
  auto attach_only = open_buffer(dir, small_options(Role::kAttach));
  ASSERT_TRUE(attach_only);
  ASSERT_TRUE(append_seq(*attach_only, 3, 0).is_ok());
  ASSERT_TRUE(writer->shutdown().is_ok());
  std::this_thread::sleep_for(50ms);  // many standby polls: a kAttach buffer never takes over
  EXPECT_EQ(attach_only->role(), Role::kAttach);
  ASSERT_TRUE(attach_only->shutdown().is_ok());
  // Its record waits in its ring; the next writer writes it.
  auto next = open_buffer(dir, small_options(Role::kWriter));
  ASSERT_TRUE(next);
  ASSERT_TRUE(next->shutdown().is_ok());
  expect_exactly(seqs_by_producer(dir)[3], 1);
}

TEST(BufferRoles, AnAttachedBufferTakesOverWhenTheWriterShutsDown) {
  TempDir tmp;
  const std::string dir = tmp.sub("log");
  auto writer = open_buffer(dir, small_options());
  auto attached = open_buffer(dir, small_options());
  ASSERT_TRUE(writer && attached);
  for (std::uint64_t i = 0; i < 100; ++i) ASSERT_TRUE(append_seq(*attached, 4, i).is_ok());
  ASSERT_TRUE(writer->shutdown().is_ok());
  writer.reset();
  ASSERT_TRUE(wait_until([&] { return attached->role() == Role::kWriter; }, 10s));
  for (std::uint64_t i = 100; i < 200; ++i) ASSERT_TRUE(append_seq(*attached, 4, i).is_ok());
  ASSERT_TRUE(attached->flush(0).is_ok());
  ASSERT_TRUE(attached->shutdown().is_ok());
  expect_exactly(seqs_by_producer(dir)[4], 200);
}

TEST(BufferRoles, RecordsOfAKilledWriterAreWrittenByTheNextOne) {
  TempDir tmp;
  const std::string dir = tmp.sub("log");
  const std::uint64_t n = 20'000;
  ForkedChild child = ForkedChild::start([&] {
    Options o = small_options();
    auto b = Buffer::open(dir, o);
    if (!b.is_ok()) return 1;
    if (!(*b)->flush(0).is_ok()) return 4;
    for (std::uint64_t i = 0; i < n; ++i) {
      if (!append_seq(**b, 5, i).is_ok()) return 2;
    }
    ::kill(::getpid(), SIGKILL);  // appends returned OK; nothing flushed, nothing closed
    return 3;
  });
  EXPECT_EQ(child.wait(), 128 + SIGKILL);
  auto next = open_buffer(dir, small_options(Role::kWriter));
  ASSERT_TRUE(next);
  ASSERT_TRUE(next->shutdown().is_ok());
  expect_exactly(seqs_by_producer(dir)[5], n);
}

TEST(BufferRoles, AKilledAttachedProducerLosesNothingItAppended) {
  TempDir tmp;
  const std::string dir = tmp.sub("log");
  const std::uint64_t n = 5'000;
  {
    auto make = open_buffer(dir, small_options());  // the log exists before the child looks
    ASSERT_TRUE(make);
    ASSERT_TRUE(make->shutdown().is_ok());
  }
  // Forked while this process runs no thread of its own (a child of a multithreaded parent may
  // inherit a lock some other thread held): it attaches whether or not the writer runs yet.
  ForkedChild child = ForkedChild::start([&] {
    auto b = Buffer::open(dir, small_options(Role::kAttach));
    if (!b.is_ok() || (*b)->role() != Role::kAttach) return 1;
    for (std::uint64_t i = 0; i < n; ++i) {
      if (!append_seq(**b, 6, i).is_ok()) return 2;
    }
    ::kill(::getpid(), SIGKILL);
    return 3;
  });
  auto writer = open_buffer(dir, small_options());
  ASSERT_TRUE(writer);
  EXPECT_EQ(child.wait(), 128 + SIGKILL);
  ASSERT_TRUE(wait_until([&] { return seqs_by_producer(dir)[6].size() == n; }, 20s));
  ASSERT_TRUE(writer->shutdown().is_ok());
  expect_exactly(seqs_by_producer(dir)[6], n);
}

}  // namespace
}  // namespace spool::testing

namespace spool::testing {
namespace {

// A worker killed by the OOM killer while its master has not reaped it yet is a zombie: the
// writer counts it dead (its ring drained and reclaimed, a tombstone kept), so stats never show
// a dead producer as alive.
TEST(BufferRoles, AKilledProducerIsReportedDeadBeforeItsParentReapsIt) {
  TempDir tmp;
  const std::string dir = tmp.sub("log");
  const std::uint64_t n = 1'000;
  {
    auto make = open_buffer(dir, small_options());
    ASSERT_TRUE(make);
    ASSERT_TRUE(make->shutdown().is_ok());
  }
  ForkedChild child = ForkedChild::start([&] {  // before this process runs threads (see above)
    auto b = Buffer::open(dir, small_options(Role::kAttach));
    if (!b.is_ok()) return 1;
    for (std::uint64_t i = 0; i < n; ++i) {
      if (!append_seq(**b, 7, i).is_ok()) return 2;
    }
    ::kill(::getpid(), SIGKILL);
    return 3;
  });
  auto writer = open_buffer(dir, small_options());
  ASSERT_TRUE(writer);
  const pid_t pid = child.pid();
  auto reported_dead = [&] {
    auto summary = summarize_producers(dir);
    if (!summary.is_ok()) return false;
    bool dead = false;
    for (const ProducerInfo& p : summary->producers) {
      if (p.pid == pid) dead = !p.alive;
    }
    return dead && summary->producers_died >= 1;
  };
  EXPECT_TRUE(wait_until(reported_dead, 20s)) << "the killed producer is still shown alive";
  EXPECT_TRUE(wait_until([&] { return seqs_by_producer(dir)[7].size() == n; }, 20s));
  EXPECT_EQ(child.wait(), 128 + SIGKILL);  // reaped only now
  ASSERT_TRUE(writer->shutdown().is_ok());
  expect_exactly(seqs_by_producer(dir)[7], n);
}

// A pre-forking server (gunicorn with preload, a multiprocessing pool) forks its workers from a
// process whose writer thread and producer threads are busy: the children attach and append.
TEST(BufferRoles, ChildrenForkedFromABusyWriterAttachAndAppend) {
  if (!kForkBesideThreadsIsSafe) GTEST_SKIP() << "fork beside threads under a sanitizer (child_process.h)";
  TempDir tmp;
  const std::string dir = tmp.sub("log");
  const std::uint64_t n = 2'000;
  auto writer = open_buffer(dir, small_options());
  ASSERT_TRUE(writer);
  std::atomic<bool> stop{false};
  std::uint64_t parent_appended = 0;
  std::thread busy([&] {
    while (!stop.load()) {  // bursts, so the log stays small however long the children take
      for (int i = 0; i < 64; ++i) {
        if (append_seq(*writer, 1, parent_appended).is_ok()) ++parent_appended;
      }
      std::this_thread::sleep_for(200us);
    }
  });
  std::vector<ForkedChild> children;
  for (std::uint32_t c = 0; c < 4; ++c) {
    children.push_back(ForkedChild::start([&, c] {
      Options o = small_options(Role::kAttach);
      o.full_policy = FullPolicy::kBlock;
      o.block_timeout_ms = 30'000;
      auto b = Buffer::open(dir, o);
      if (!b.is_ok() || (*b)->role() != Role::kAttach) return 1;
      for (std::uint64_t i = 0; i < n; ++i) {
        if (!append_seq(**b, 10 + c, i).is_ok()) return 2;
      }
      return (*b)->shutdown().is_ok() ? 0 : 3;
    }));
  }
  for (ForkedChild& child : children) EXPECT_EQ(child.wait(60s), 0);
  stop = true;
  busy.join();
  ASSERT_TRUE(writer->shutdown().is_ok());
  auto seqs = seqs_by_producer(dir);
  for (std::uint32_t c = 0; c < 4; ++c) expect_exactly(seqs[10 + c], n);
  expect_exactly(seqs[1], parent_appended);
}

}  // namespace
}  // namespace spool::testing

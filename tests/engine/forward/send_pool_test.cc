// SendPool: every submitted batch is sent once and its answer comes back with its ticket, in
// the order the sends finish; sends run at once on the pool's threads.
#include "engine/forward/send_pool.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

namespace spool::engine {
namespace {

// Answers a batch with its first offset as bytes_sent; batches with a first offset below
// `hold_below` wait until release() (so the others finish first).
class HoldingSink : public Sink {
 public:
  explicit HoldingSink(std::uint64_t hold_below) : hold_below_(hold_below) {}
  FlushResult send(const ForwardBatch& batch) override {
    {
      std::unique_lock<std::mutex> lock(mu_);
      ++inside_;
      max_inside_ = std::max(max_inside_, inside_);
      cv_.notify_all();
      if (batch.first_offset < hold_below_) {
        EXPECT_TRUE(cv_.wait_for(lock, std::chrono::seconds(120), [this] { return released_; }));
      }
      --inside_;
    }
    return FlushResult::succeeded(batch.first_offset);
  }
  std::uint32_t max_concurrent_sends() const override { return 8; }
  std::string name() const override { return "holding"; }
  void release() {
    std::lock_guard<std::mutex> lock(mu_);
    released_ = true;
    cv_.notify_all();
  }
  bool wait_inside(int n) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(120), [&] { return inside_ >= n; });
  }
  int max_inside() {
    std::lock_guard<std::mutex> lock(mu_);
    return max_inside_;
  }

 private:
  const std::uint64_t hold_below_;
  std::mutex mu_;
  std::condition_variable cv_;
  int inside_ = 0, max_inside_ = 0;
  bool released_ = false;
};

std::vector<ForwardBatch> batches(std::size_t n) {
  std::vector<ForwardBatch> out(n);
  for (std::size_t i = 0; i < n; ++i) out[i].first_offset = out[i].last_offset = i;
  return out;
}

TEST(SendPool, AnswersComeBackWithTheirTicketsInTheOrderTheSendsFinish) {
  HoldingSink sink(1);
  std::atomic<int> notified{0};
  SendPool pool(sink, 2, [&] { notified.fetch_add(1); });
  const auto b = batches(3);
  pool.submit(100, &b[0]);  // held
  ASSERT_TRUE(sink.wait_inside(1));
  pool.submit(101, &b[1]);
  pool.submit(102, &b[2]);
  // The second thread sends 1 and 2 while 0 is held.
  SendPool::Answer first = pool.take();
  SendPool::Answer second = pool.take();
  EXPECT_EQ((std::set<std::uint64_t>{first.ticket, second.ticket}),
            (std::set<std::uint64_t>{101, 102}));
  EXPECT_EQ(first.result.bytes_sent, first.ticket - 100);
  EXPECT_EQ(pool.outstanding(), 1u);
  EXPECT_FALSE(pool.try_take());
  sink.release();
  SendPool::Answer last = pool.take();
  EXPECT_EQ(last.ticket, 100u);
  EXPECT_EQ(pool.outstanding(), 0u);
  // on_answer runs after the answer is ready to take: it may trail take() by a moment.
  for (int i = 0; i < 100'000 && notified.load() < 3; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  EXPECT_EQ(notified.load(), 3);
}

TEST(SendPool, SendsRunAtOnceUpToItsThreads) {
  HoldingSink sink(6);  // every batch waits
  SendPool pool(sink, 3, {});
  const auto b = batches(6);
  for (std::size_t i = 0; i < b.size(); ++i) pool.submit(i, &b[i]);
  ASSERT_TRUE(sink.wait_inside(3));  // three sends at once, the other three queued
  EXPECT_EQ(pool.outstanding(), 6u);
  EXPECT_FALSE(pool.try_take());
  sink.release();
  std::set<std::uint64_t> tickets;
  for (std::size_t i = 0; i < b.size(); ++i) tickets.insert(pool.take().ticket);
  EXPECT_EQ(tickets.size(), 6u);
  EXPECT_LE(sink.max_inside(), 3);
}

TEST(SendPool, DestroyingAnIdlePoolStopsItsThreads) {
  HoldingSink sink(0);
  { SendPool pool(sink, 4, {}); }
  SUCCEED();
}

}  // namespace
}  // namespace spool::engine

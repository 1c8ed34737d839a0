// engine::SharedSink: the lanes' sinks tag each batch with their lane, never call the one real
// sink more often at once than it takes (max_concurrent_sends()), and give a free slot to the
// waiting batch of the highest priority first.
#include "engine/forward/shared_sink.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "support/forwarder_fixtures.h"

namespace spool::engine {
namespace {

class SlowSink : public Sink {
 public:
  explicit SlowSink(std::uint32_t slots) : slots_(slots) {}
  FlushResult send(const ForwardBatch& batch) override {
    const int now = ++running_;
    int most = most_.load();
    while (now > most && !most_.compare_exchange_weak(most, now)) {
    }
    {
      std::lock_guard lock(mu_);
      lanes_.emplace_back(batch.lane);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    --running_;
    return FlushResult::succeeded(7);
  }
  std::uint32_t max_concurrent_sends() const override { return slots_; }
  bool wants_compressed_batch() const override { return true; }
  std::string name() const override { return "slow"; }
  std::vector<HealthWarning> configuration_warnings() const override {
    return {{"tls_insecure", "off"}};
  }

  int most() const { return most_.load(); }
  std::vector<std::string> lanes() {
    std::lock_guard lock(mu_);
    return lanes_;
  }

 private:
  const std::uint32_t slots_;
  std::atomic<int> running_{0};
  std::atomic<int> most_{0};
  std::mutex mu_;
  std::vector<std::string> lanes_;
};

// Six lanes sending 20 batches each from threads of their own.
int most_at_once(std::uint32_t slots) {
  auto real = std::make_unique<SlowSink>(slots);
  SlowSink* view = real.get();
  auto shared = std::make_shared<SharedSink>(std::move(real));
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([shared, t] {
      auto sink = SharedSink::lane_sink(shared, "lane" + std::to_string(t));
      for (int i = 0; i < 20; ++i) {
        ForwardBatch batch;
        EXPECT_EQ(sink->send(batch).bytes_sent, 7u);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(view->lanes().size(), 120u);
  return view->most();
}

TEST(SharedSink, NeverMoreSendsAtOnceThanTheSinkTakes) {
  EXPECT_EQ(most_at_once(1), 1);
  const int three = most_at_once(3);
  EXPECT_GE(three, 1);
  EXPECT_LE(three, 3);
}

TEST(SharedSink, EachLanesBatchesCarryItsName) {
  auto real = std::make_unique<SlowSink>(1);
  SlowSink* view = real.get();
  auto shared = std::make_shared<SharedSink>(std::move(real));
  auto logs = SharedSink::lane_sink(shared, "logs");
  auto spans = SharedSink::lane_sink(shared, "spans");
  ForwardBatch batch;
  EXPECT_EQ(batch.lane, "default");
  logs->send(batch);
  spans->send(batch);
  logs->send(batch);
  EXPECT_EQ(view->lanes(), (std::vector<std::string>{"logs", "spans", "logs"}));
  // Everything else is the real sink's.
  EXPECT_EQ(logs->name(), "slow");
  EXPECT_EQ(logs->max_concurrent_sends(), 1u);
  EXPECT_TRUE(logs->wants_compressed_batch());
  ASSERT_EQ(spans->configuration_warnings().size(), 1u);
  EXPECT_EQ(spans->configuration_warnings()[0].code, "tls_insecure");
}

// A sink that holds every send until released, and remembers the order sends began in.
class GateSink : public Sink {
 public:
  FlushResult send(const ForwardBatch& batch) override {
    std::unique_lock lock(mu_);
    order_.emplace_back(batch.lane);
    cv_.wait(lock, [&] { return open_ || batch.lane != "first"; });
    return FlushResult::succeeded();
  }
  std::string name() const override { return "gate"; }
  void open() {
    {
      std::lock_guard lock(mu_);
      open_ = true;
    }
    cv_.notify_all();
  }
  std::vector<std::string> order() {
    std::lock_guard lock(mu_);
    return order_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
  std::vector<std::string> order_;
};

// One slot, held by a send of lane "first"; a low batch asks, then a critical one: when the
// slot frees, the critical batch goes first, although it asked last.
TEST(SharedSink, TheHighestPriorityWaitingBatchGoesFirst) {
  auto real = std::make_unique<GateSink>();
  GateSink* gate = real.get();
  auto shared = std::make_shared<SharedSink>(std::move(real));
  auto batch_of = [](Priority p) {
    auto owned = std::make_shared<std::vector<ForwardRecord>>(1);
    (*owned)[0].priority = p;
    return owned;
  };
  auto send = [&](const std::string& lane, Priority p) {
    return std::thread([shared, lane, p, records = batch_of(p)] {
      auto sink = SharedSink::lane_sink(shared, lane);
      ForwardBatch batch;
      batch.records = *records;
      sink->send(batch);
    });
  };
  std::thread first = send("first", Priority::kNormal);
  const bool first_sending = testing::eventually([&] { return !gate->order().empty(); });
  std::thread low = send("low", Priority::kLow);
  const bool low_waiting = testing::eventually([&] { return shared->waiting() >= 1; });
  std::thread critical = send("critical", Priority::kCritical);
  const bool both_waiting = testing::eventually([&] { return shared->waiting() >= 2; });
  gate->open();  // before any assertion, so that the threads end and join
  EXPECT_TRUE(first_sending && low_waiting && both_waiting);
  first.join();
  low.join();
  critical.join();
  EXPECT_EQ(gate->order(), (std::vector<std::string>{"first", "critical", "low"}));
}

}  // namespace
}  // namespace spool::engine

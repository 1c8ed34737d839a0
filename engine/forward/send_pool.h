// SendPool: threads that call Sink::send for batches the forwarding thread hands them, so
// several batches are encoded, compressed and sent at once (ForwarderOptions::
// max_in_flight_batches; the OpenTelemetry Collector's num_consumers).
//
// The pool only runs sends: which batch goes next, what its answer means (retries, dead
// letters, the cursor) stays with the forwarding thread, which takes the answers back with
// try_take() / take() in whatever order the sends finish. A batch (and the records its
// spans point to) must stay unchanged until its answer was taken.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "spool/sink.h"

namespace spool::engine {

class SendPool {
 public:
  struct Answer {
    std::uint64_t ticket = 0;  // what submit() was given
    FlushResult result;
  };

  // `threads` >= 1 senders calling sink.send() (which must allow that many at once:
  // Sink::max_concurrent_sends()). `on_answer` runs on a sender thread after each answer is
  // ready to take (to wake the forwarding thread); it must not call back into the pool.
  SendPool(Sink& sink, std::uint32_t threads, std::function<void()> on_answer);
  // Waits for the sends under way, then stops the threads. Answers not taken are dropped.
  ~SendPool();
  SendPool(const SendPool&) = delete;
  SendPool& operator=(const SendPool&) = delete;

  // Queues `batch` for the next free sender.
  void submit(std::uint64_t ticket, const ForwardBatch* batch);
  // An answer that is ready, if any.
  std::optional<Answer> try_take();
  // Waits for the next answer; only while outstanding() > 0.
  Answer take();
  // Batches submitted whose answer was not taken yet.
  std::size_t outstanding() const;

 private:
  struct Job {
    std::uint64_t ticket;
    const ForwardBatch* batch;
  };
  void run();

  Sink& sink_;
  const std::function<void()> on_answer_;
  mutable std::mutex mu_;
  std::condition_variable work_cv_;    // senders: a job or stop
  std::condition_variable answer_cv_;  // take(): an answer
  std::deque<Job> jobs_;
  std::deque<Answer> answers_;
  std::size_t outstanding_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace spool::engine

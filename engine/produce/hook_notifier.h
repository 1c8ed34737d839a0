// HookNotifier: the thread that calls a Buffer's or a Forwarder's Hooks (include/spool/hooks.h),
// so that no callback runs on a producer, the writer or the forwarding thread.
//
// Events come in through error() and set_online() from any thread: each takes mu_ for a few
// instructions (a string move into a bounded deque), never calls a callback and never waits
// for one. The notifier thread takes the events out in order and calls the callbacks with
// mu_ released. Drops are not events: the notifier polls the drop counters (count_drops,
// BufferStats::dropped) every drop_report_interval_ms and reports the difference.
//
// The queue holds at most max_queued_events. An error equal (site and message) to the last
// queued one is folded into it (repeats, records). When full, a new error is dropped; a new
// transition takes the place of the oldest queued error, or, when only transitions are
// queued (they alternate: equal ones are never queued twice in a row), cancels the last one
// queued (a flap that nobody saw), which leaves the final state right. Dropped events are
// counted (HookStats::events_dropped).
//
// The owner constructs the notifier, then start()s its thread once what count_drops reads
// is in place. stop() delivers what is queued and a last drop report, then joins the thread; a
// callback that never returns therefore holds up stop() (and Buffer::shutdown / Forwarder::stop),
// and a callback must not shut down or destroy the Buffer or Forwarder whose hook it is. fork():
// the thread is the parent's; the owner keeps a notifier of a fork child forever (io::keep_forever)
// instead of destroying it.
#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "spool/buffer_stats.h"
#include "spool/hooks.h"
#include "spool/status.h"

namespace spool::engine {

class HookNotifier {
 public:
  using DropCounts = std::array<std::uint64_t, kDropReasonCount>;
  // The drops counted so far, by reason (they only grow).
  using DropCounter = std::function<DropCounts()>;

  // OK, or InvalidArgument naming the field.
  static Status validate(const Hooks& hooks);

  // `count_drops` is polled only when hooks.on_drop is set, on the notifier's thread, from
  // start() on (so it may use what the owner sets up after constructing the notifier).
  explicit HookNotifier(Hooks hooks, DropCounter count_drops = {});
  ~HookNotifier();  // stop()
  HookNotifier(const HookNotifier&) = delete;
  HookNotifier& operator=(const HookNotifier&) = delete;

  // Starts the thread: events queued before are delivered then. Once.
  void start();
  // Queues on_error (when set). `records`: see HookError::records.
  void error(ErrorSite site, std::string message, std::uint64_t records = 0);
  // Queues on_online / on_offline when `online` differs from the last state set (initially
  // online).
  void set_online(bool online);
  // Delivers what is queued and the drops counted until now, then joins the thread.
  // Idempotent; events that come later are ignored.
  void stop();

  HookStats stats() const;

 private:
  struct Event {
    enum class Kind : std::uint8_t { kError, kOnline, kOffline } kind;
    HookError error;
  };

  void run();
  // Whether `event` may be queued now (room made, or folded / cancelled instead); mu_ held.
  bool make_room_locked(const Event& event);
  void deliver(const Event& event);
  void report_drops();
  template <typename Call>
  void call(Call&& callback);

  const Hooks hooks_;
  const DropCounter count_drops_;
  DropCounts reported_{};  // notifier thread only

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Event> queue_;
  bool online_ = true;  // the last state set
  bool stopping_ = false;
  std::mutex join_mu_;  // one stop() joins
  std::thread thread_;

  std::atomic<std::uint64_t> calls_{0};
  std::atomic<std::uint64_t> failures_{0};
  std::atomic<std::uint64_t> events_dropped_{0};
};

}  // namespace spool::engine

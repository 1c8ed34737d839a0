// ProducerRing: the first design of a producer thread's queue to the writer (a private
// boost::lockfree::spsc_queue of bytes), kept as the baseline the shared ring (engine/produce/
// shared_ring.h) is measured against in bench/. Not used by the engine.
//
// Each entry is a 16-byte EntryHeader followed by the serialized record.
//
// Why one SPSC ring per producer thread (and not one shared MPSC queue): the producer's
// push is two memcpys and two release stores on cache lines no other producer touches, so
// producers never contend with each other, per-producer order is kept by construction, and
// the writer drains whole runs of entries with one memcpy each. bench/README.md has the
// measurement against a shared boost::lockfree::queue of slab handles.
//
// Threading: push side = the owning producer thread only. Pop side = whoever holds
// consumer_mutex(): the writer thread normally; the producer itself only when its
// kDropOldest policy evicts entries (never in steady state).
#pragma once

#include <array>
#include <atomic>
#include <boost/lockfree/spsc_queue.hpp>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <mutex>
#include <span>

#include "spool/buffer_stats.h"

namespace spool::engine {

struct EntryHeader {
  std::uint32_t payload_bytes = 0;
  std::uint16_t kind = 0;   // frame type
  std::uint16_t flags = 0;  // frame flags (priority)
  std::int64_t buffered_at_ns = 0;
};
static_assert(sizeof(EntryHeader) == 16);
inline constexpr std::size_t kEntryHeaderBytes = sizeof(EntryHeader);

enum class PopResult : std::uint8_t {
  kPopped,      // header and payload copied out
  kEmpty,       // nothing queued
  kIncomplete,  // the producer is between pushing the header and the payload: try later
  kNoRoom,      // the next payload is larger than the space offered: offer more later
};

class ProducerRing {
 public:
  explicit ProducerRing(std::size_t capacity_bytes);
  ProducerRing(const ProducerRing&) = delete;
  ProducerRing& operator=(const ProducerRing&) = delete;

  std::size_t capacity() const noexcept { return capacity_; }
  // Bytes queued (headers included). Exact from the producer thread; a snapshot elsewhere.
  std::size_t used_bytes() const noexcept { return capacity_ - ring_.write_available(); }

  // Producer: queues one entry if header + payload fit in the free space and the ring then
  // holds at most `limit_bytes`. Never blocks, never allocates.
  bool try_push(const EntryHeader& header, std::span<const std::uint8_t> payload,
                std::size_t limit_bytes = SIZE_MAX) noexcept;

  // Consumer (holding consumer_mutex()): copies the next entry's payload to `dst` when it
  // fits in `dst_capacity` bytes.
  PopResult pop(EntryHeader* header, std::uint8_t* dst, std::size_t dst_capacity) noexcept;
  // Consumer (holding consumer_mutex()): drops the oldest entries until `need_bytes` are
  // free or the ring is empty. Returns how many entries were dropped.
  std::uint64_t discard_oldest(std::size_t need_bytes) noexcept;
  std::mutex& consumer_mutex() noexcept { return consumer_mu_; }

  // Buffered-at time of the oldest entry not yet popped, if the consumer knows it (it holds
  // a popped header whose payload is pending), else of the entry pushed into an empty ring.
  std::int64_t oldest_queued_ns() const noexcept;

  // --- Counters (see BufferCore for who writes which). ---
  // Producer-owned line.
  struct alignas(64) ProducerSide {
    std::atomic<std::uint64_t> appended{0};  // entries pushed
    std::array<std::atomic<std::uint64_t>, kDropReasonCount> dropped{};
    std::uint64_t sample_sequence = 0;        // kSample: producer thread only
    std::atomic<std::int64_t> first_push_ns{0};  // buffered-at of an entry pushed into an empty ring
  } producer;
  // Consumer-owned line.
  struct alignas(64) ConsumerSide {
    std::atomic<std::uint64_t> popped{0};  // entries popped, by the writer or discarded
    std::atomic<std::uint64_t> done{0};    // of those, finished: written (and synced per mode) or discarded
  } consumer;
  // Set when the producer thread has exited: the writer frees the ring once it is empty.
  std::atomic<bool> abandoned{false};

 private:
  // Consumer side, under consumer_mu_: the next entry's header into pending_ (false: none
  // queued), and the bookkeeping once its payload is gone.
  bool take_header() noexcept;
  void finish_entry() noexcept;

  std::size_t capacity_;
  boost::lockfree::spsc_queue<std::uint8_t> ring_;
  std::mutex consumer_mu_;
  // Consumer state, under consumer_mu_: a header popped before its payload was available.
  bool has_pending_ = false;
  EntryHeader pending_{};
  std::atomic<std::int64_t> pending_buffered_at_ns_{0};
};

}  // namespace spool::engine

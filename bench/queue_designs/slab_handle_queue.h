// SlabHandleQueue: design B of the producer queue, measured against design A (the engine's
// per-producer ProducerRing, engine/produce/producer_ring.h) by bench/queue_bench.cc. Not used by
// the engine: bench/README.md ("Producer queues and the append path") says why.
//
// Shape: one preallocated slab of fixed-size slots shared by every producer, and two
// Boost.Lockfree structures of 32-bit slot handles:
//   free_   boost::lockfree::stack  slots nobody holds (LIFO: the slot freed last, still warm
//                                   in a cache, is handed out first)
//   filled_ boost::lockfree::queue  slots holding an entry, in push order (MPSC use)
// Producer (any thread): pop a free slot, copy the 16-byte EntryHeader and the payload into
// it, push its handle on filled_. Consumer (one thread at a time): pop a handle, copy the
// entry out, push the handle back on free_.
//
// Bounds: memory is the slab (slot_count() * kSlotBytes) plus one Boost node per slot in each
// structure, all allocated by the constructor; bounded_push never allocates. A record takes
// exactly one slot: header + payload must fit in kSlotBytes, so payloads above
// kMaxPayloadBytes are refused (try_push returns false, like a full queue; the caller checks
// the size first, as BufferCore does with its max_payload_). A 700-byte standard span uses
// 716 of the 1,024 bytes of its slot.
//
// Ordering: per-producer order is kept (one producer's pushes on filled_ are ordered, and
// filled_ is FIFO); entries of different producers interleave in push order. Visibility:
// the slot's bytes are written before the handle is published by filled_'s CAS (release)
// and read after the consumer's pop (acquire); the consumer's reads happen before it
// returns the handle on free_, which the next producer pops (acquire) before writing.
//
// Header-only so that the unit test (tests/bench/slab_handle_queue_test.cc) needs no extra target.
#pragma once

#include <boost/lockfree/queue.hpp>
#include <boost/lockfree/stack.hpp>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <span>
#include <stdexcept>

#include "bench/queue_designs/spsc_byte_ring.h"

namespace spool::bench {

class SlabHandleQueue {
 public:
  static constexpr std::size_t kSlotBytes = 1024;
  static constexpr std::size_t kMaxPayloadBytes = kSlotBytes - engine::kEntryHeaderBytes;
  // Boost.Lockfree node handles; also keeps slot offsets (index * kSlotBytes) in 64 bits.
  static constexpr std::size_t kMaxSlots = std::size_t{1} << 24;

  // capacity_bytes / kSlotBytes slots (at least one, at most kMaxSlots). Throws
  // std::invalid_argument outside that range (construction time only).
  explicit SlabHandleQueue(std::size_t capacity_bytes)
      : slots_(capacity_bytes / kSlotBytes),
        slab_(allocate(slots_)),
        free_(slots_),
        filled_(slots_) {
    for (std::uint32_t i = 0; i < slots_; ++i) {
      // Highest index pushed first, so slot 0 is handed out first.
      (void)free_.bounded_push(static_cast<std::uint32_t>(slots_ - 1 - i));
    }
  }
  SlabHandleQueue(const SlabHandleQueue&) = delete;
  SlabHandleQueue& operator=(const SlabHandleQueue&) = delete;

  std::size_t slot_count() const noexcept { return slots_; }
  std::size_t capacity() const noexcept { return slots_ * kSlotBytes; }
  // Both structures are lock-free on this platform (true on x86-64: 64-bit tagged handles).
  bool is_lock_free() const noexcept { return free_.is_lock_free() && filled_.is_lock_free(); }

  // Any producer thread. False when no slot is free or the entry does not fit in one slot.
  // Never blocks, never allocates.
  bool try_push(const engine::EntryHeader& header, std::span<const std::uint8_t> payload) noexcept {
    if (payload.size() > kMaxPayloadBytes) return false;
    std::uint32_t slot = 0;
    if (!free_.pop(slot)) return false;
    std::uint8_t* p = slot_bytes(slot);
    std::memcpy(p, &header, engine::kEntryHeaderBytes);
    if (!payload.empty()) std::memcpy(p + engine::kEntryHeaderBytes, payload.data(), payload.size());
    // Cannot fail: at most slot_count() handles exist and filled_ has a node for each.
    (void)filled_.bounded_push(slot);
    return true;
  }

  // The consumer (one thread at a time). Copies the next entry's payload to `dst` when it
  // fits in `dst_capacity` bytes; else keeps the entry for the next call (kNoRoom). Never
  // returns kIncomplete: an entry is published whole.
  engine::PopResult pop(engine::EntryHeader* header, std::uint8_t* dst, std::size_t dst_capacity) noexcept {
    if (!has_pending_) {
      if (!filled_.pop(pending_)) return engine::PopResult::kEmpty;
      has_pending_ = true;
    }
    const std::uint8_t* p = slot_bytes(pending_);
    engine::EntryHeader h;
    std::memcpy(&h, p, engine::kEntryHeaderBytes);
    if (h.payload_bytes > dst_capacity) return engine::PopResult::kNoRoom;
    if (h.payload_bytes > 0) std::memcpy(dst, p + engine::kEntryHeaderBytes, h.payload_bytes);
    *header = h;
    has_pending_ = false;
    // Cannot fail: free_ has a node for every slot.
    (void)free_.bounded_push(pending_);
    return engine::PopResult::kPopped;
  }

 private:
  struct SlabDelete {
    void operator()(std::uint8_t* p) const noexcept { ::operator delete[](p, std::align_val_t{64}); }
  };
  using Slab = std::unique_ptr<std::uint8_t[], SlabDelete>;

  static Slab allocate(std::size_t slots) {
    if (slots == 0 || slots > kMaxSlots) {
      throw std::invalid_argument("SlabHandleQueue: capacity must hold 1 to 2^24 slots of 1 KiB");
    }
    // Cache-line aligned, so a slot never shares a line with its neighbours.
    auto* p = static_cast<std::uint8_t*>(::operator new[](slots * kSlotBytes, std::align_val_t{64}));
    return Slab(p);
  }
  std::uint8_t* slot_bytes(std::uint32_t slot) const noexcept {
    return slab_.get() + std::size_t{slot} * kSlotBytes;
  }

  const std::size_t slots_;
  Slab slab_;
  boost::lockfree::stack<std::uint32_t> free_;
  boost::lockfree::queue<std::uint32_t> filled_;
  // Consumer state: a handle popped whose payload did not fit the space offered.
  bool has_pending_ = false;
  std::uint32_t pending_ = 0;
};

}  // namespace spool::bench

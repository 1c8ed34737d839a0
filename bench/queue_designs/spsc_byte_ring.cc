#include "bench/queue_designs/spsc_byte_ring.h"

#include <algorithm>
#include <cstring>

namespace spool::engine {

ProducerRing::ProducerRing(std::size_t capacity_bytes)
    : capacity_(capacity_bytes), ring_(capacity_bytes) {
  // Touch every page now, on the thread's first append, rather than one page fault per 4 KiB
  // on the hot path later (each a latency spike). The ring is empty again afterwards.
  std::uint8_t chunk[4096] = {};
  for (std::size_t done = 0; done < capacity_bytes;) {
    const std::size_t n = std::min(sizeof(chunk), capacity_bytes - done);
    ring_.push(chunk, n);
    ring_.pop(chunk, n);
    done += n;
  }
}

bool ProducerRing::try_push(const EntryHeader& header, std::span<const std::uint8_t> payload,
                            std::size_t limit_bytes) noexcept {
  const std::size_t free = ring_.write_available();
  const std::size_t need = kEntryHeaderBytes + payload.size();
  if (free < need || capacity_ - free + need > limit_bytes) return false;
  if (free == capacity_) producer.first_push_ns.store(header.buffered_at_ns, std::memory_order_relaxed);
  // Two pushes, two publications: the consumer may see the header before the payload
  // (PopResult::kIncomplete), never the reverse. Both fit: only this thread adds bytes.
  ring_.push(reinterpret_cast<const std::uint8_t*>(&header), kEntryHeaderBytes);
  if (!payload.empty()) ring_.push(payload.data(), payload.size());
  return true;
}

bool ProducerRing::take_header() noexcept {
  if (has_pending_) return true;
  if (ring_.read_available() < kEntryHeaderBytes) return false;
  ring_.pop(reinterpret_cast<std::uint8_t*>(&pending_), kEntryHeaderBytes);
  has_pending_ = true;
  pending_buffered_at_ns_.store(pending_.buffered_at_ns, std::memory_order_relaxed);
  return true;
}

void ProducerRing::finish_entry() noexcept {
  has_pending_ = false;
  pending_buffered_at_ns_.store(0, std::memory_order_relaxed);
  // Only the holder of the consumer mutex writes `popped`: a plain store, not a locked add.
  consumer.popped.store(consumer.popped.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
}

PopResult ProducerRing::pop(EntryHeader* header, std::uint8_t* dst,
                            std::size_t dst_capacity) noexcept {
  if (!take_header()) return PopResult::kEmpty;
  if (pending_.payload_bytes > dst_capacity) return PopResult::kNoRoom;
  if (ring_.read_available() < pending_.payload_bytes) return PopResult::kIncomplete;
  if (pending_.payload_bytes > 0) ring_.pop(dst, pending_.payload_bytes);
  *header = pending_;
  finish_entry();
  return PopResult::kPopped;
}

std::uint64_t ProducerRing::discard_oldest(std::size_t need_bytes) noexcept {
  // Called only by the producer thread, so every queued entry is complete.
  std::uint8_t scratch[4096];
  std::uint64_t dropped = 0;
  while (ring_.write_available() < need_bytes && take_header()) {
    for (std::size_t left = pending_.payload_bytes; left > 0;) {
      left -= ring_.pop(scratch, std::min(left, sizeof(scratch)));
    }
    finish_entry();
    ++dropped;
  }
  return dropped;
}

std::int64_t ProducerRing::oldest_queued_ns() const noexcept {
  const std::int64_t pending = pending_buffered_at_ns_.load(std::memory_order_relaxed);
  if (pending != 0) return pending;
  if (ring_.read_available() == 0) return 0;
  return producer.first_push_ns.load(std::memory_order_relaxed);
}

}  // namespace spool::engine

// The writer's drain of a shared ring (engine/produce/shared_ring.h): ring memory is written by
// processes the writer does not trust, so any header positions and any data bytes must drain
// without a crash, without an unbounded loop, and every entry returned must obey the bounds
// rules. The resolution of an intent run over the same bytes must not crash either.
//
// Input: 40 bytes of header, then the data area's bytes (repeated to fill it):
//   0  u64 head   8  u64 read   16 u64 tail   (stored as given: anything goes)
//   24 u8  capacity as a power of two, 12..14 (4096..16384)
//   25 u8  refuse kinds above this (the validator), 26 u16 max payload bytes
//   28 u32 out buffer bytes (at most 64 KiB)
//   32 u64 intent run: first_offset (count = 1..8 from the low bits, next_offset = first + low bits)
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "engine/produce/shared_ring.h"

namespace {
template <typename T>
T load(const std::uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace spool::engine;
  constexpr std::size_t kPrefix = 40;
  if (size < kPrefix) return 0;
  const std::uint64_t capacity = std::uint64_t{1} << (12 + data[24] % 3);
  const std::uint16_t max_kind = data[25];
  const std::size_t max_payload = load<std::uint16_t>(data + 26);
  const std::size_t out_bytes = load<std::uint32_t>(data + 28) % (64 * 1024 + 1);
  auto* memory = static_cast<std::uint8_t*>(std::aligned_alloc(4096, kRingHeaderBytes + capacity));
  std::memset(memory, 0, kRingHeaderBytes);
  const std::size_t body = size - kPrefix;
  for (std::uint64_t i = 0; i < capacity; ++i) memory[kRingHeaderBytes + i] = body ? data[kPrefix + i % body] : 0;
  auto* header = reinterpret_cast<RingHeader*>(memory);
  header->consumer.head.store(load<std::uint64_t>(data));
  header->consumer.read.store(load<std::uint64_t>(data + 8));
  header->producer.tail.store(load<std::uint64_t>(data + 16));
  const std::uint64_t read_before = header->consumer.read.load();
  const std::uint64_t tail = header->producer.tail.load();
  // The drain copies from max(head, copied) (copied is 0 here): entries taken earlier and not
  // yet copied lie in [head, read).
  const std::uint64_t copy_from = header->consumer.head.load();

  SharedRing ring = SharedRing::over_memory(memory, capacity);
  std::vector<std::uint8_t> out(out_bytes);
  std::vector<DrainedEntry> entries;
  const DrainResult r = ring.drain(out, &entries, DrainLimits{max_payload},
                                   [&](std::uint16_t kind, std::uint16_t, std::span<const std::uint8_t>) {
                                     return kind <= max_kind;
                                   });
  // The bounds rules, for every entry returned.
  if (r.entries != entries.size() || r.out_bytes > out.size()) std::abort();
  if (r.outcome == DrainOutcome::kOk && !entries.empty()) {
    if (r.read_end < copy_from || r.read_end > tail) std::abort();
  }
  std::uint64_t previous_end = copy_from;
  std::size_t previous_out = 0;
  for (const DrainedEntry& e : entries) {
    if (e.ring_start < previous_end || e.ring_end <= e.ring_start || e.ring_end > tail) std::abort();
    if (e.ring_end - e.ring_start > capacity || e.ring_start % 8 != 0 || e.ring_end % 8 != 0) std::abort();
    if ((e.ring_start % capacity) + (e.ring_end - e.ring_start) > capacity) std::abort();  // never wraps
    if (e.payload_bytes > max_payload || e.kind > max_kind || e.kind == kPadKind) std::abort();
    if (e.ring_end - e.ring_start < kRingEntryHeaderBytes + e.payload_bytes) std::abort();
    if (e.out_offset < previous_out || e.out_offset + kRingEntryHeaderBytes + e.payload_bytes > r.out_bytes) std::abort();
    previous_end = e.ring_end;
    previous_out = e.out_offset + kRingEntryHeaderBytes + e.payload_bytes;
  }
  // A second drain after the first is written: still within bounds, never a loop.
  if (r.outcome == DrainOutcome::kOk) {
    ring.mark_written(r.read_end, entries.size());
    entries.clear();
    (void)ring.drain(out, &entries, DrainLimits{max_payload}, [](auto, auto, auto) { return true; });
  }
  // Intent resolution over arbitrary bytes: an answer or an error.
  const std::uint64_t first = load<std::uint64_t>(data + 32);
  const IntentRun run{1, read_before, tail, first >> 8, 1 + (first & 7)};
  auto pos = ring.resolve_intent_run(run, (first >> 8) + ((first >> 3) & 7));
  if (pos.is_ok() && (*pos < run.pos_start || *pos > run.pos_end)) std::abort();
  std::free(memory);
  return 0;
}

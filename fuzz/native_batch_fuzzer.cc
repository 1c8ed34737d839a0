// native_batch_fuzzer: arbitrary bytes as a native batch (engine/forward/native_batch.h) and as a
// zstd body (BatchCompressor::decompress) must be decoded or refused with Corruption; never
// crash, never read outside the input, never produce more than the output limit.
//
// Oracles, beyond the sanitizers:
//   - a batch that decodes re-encodes to exactly the same bytes (the layout has one
//     spelling), and every payload lies inside the input;
//   - decompress() of the input (without, then with a dictionary) either fails with
//     Corruption or returns at most kMaxOutput bytes;
//   - compress() then decompress() of the input gives the input back, with and without the
//     dictionary.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "engine/forward/batch_compressor.h"
#include "engine/forward/native_batch.h"

namespace {

constexpr std::size_t kMaxOutput = 1 << 20;

// A fixed raw-content dictionary (built once): enough shape for zstd to use it.
const std::vector<std::uint8_t>& dictionary() {
  static const std::vector<std::uint8_t> dict = [] {
    std::vector<std::uint8_t> d;
    for (int i = 0; i < 4096; ++i) d.push_back(static_cast<std::uint8_t>("spool.idempotency_key"[i % 21] ^ (i >> 8)));
    return d;
  }();
  return dict;
}

void check_native_batch(std::span<const std::uint8_t> input) {
  auto decoded = spool::engine::decode_native_batch(input);
  if (!decoded) {
    if (decoded.status().code() != spool::StatusCode::kCorruption) std::abort();
    return;
  }
  std::vector<spool::ForwardRecord> records;
  for (const auto& r : decoded.value()) {
    if (r.payload.data() < input.data() || r.payload.data() + r.payload.size() > input.data() + input.size()) {
      std::abort();
    }
    // Reserved flag bits do not survive ForwardRecord (it keeps only the priority): such
    // inputs decode, but have no canonical re-encoding to compare against.
    if ((r.flags & ~spool::kPriorityFlagMask) != 0) return;
    spool::ForwardRecord f;
    f.offset = r.offset;
    f.timestamp_ns = r.timestamp_ns;
    f.kind = static_cast<spool::RecordKind>(r.kind);
    f.priority = spool::priority_from_flags(r.flags);
    f.payload = r.payload;
    records.push_back(f);
  }
  std::vector<std::uint8_t> again;
  if (!spool::engine::encode_native_batch(records, &again).is_ok()) std::abort();
  if (again.size() != input.size() || !std::equal(again.begin(), again.end(), input.begin())) std::abort();
}

void check_decompress(std::span<const std::uint8_t> input, std::span<const std::uint8_t> dict) {
  auto out = spool::engine::BatchCompressor::decompress(input, kMaxOutput, dict);
  if (!out) {
    if (out.status().code() != spool::StatusCode::kCorruption) std::abort();
    return;
  }
  if (out->size() > kMaxOutput) std::abort();
}

void check_round_trip(std::span<const std::uint8_t> input) {
  static spool::engine::BatchCompressor plain(1);
  static spool::engine::BatchCompressor with_dict = [] {
    spool::engine::BatchCompressor c(3);
    if (!c.set_dictionary(dictionary()).is_ok()) std::abort();
    return c;
  }();
  for (auto* c : {&plain, &with_dict}) {
    auto z = c->compress(input);
    if (!z) std::abort();
    auto back = spool::engine::BatchCompressor::decompress(z.value(), input.size(), c->dictionary());
    if (!back || back->size() != input.size() || !std::equal(back->begin(), back->end(), input.begin())) {
      std::abort();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // An exact-size heap copy, so ASan sees a read one byte past the input.
  std::vector<std::uint8_t> copy(data, data + size);
  const std::span<const std::uint8_t> input(copy.data(), copy.size());
  check_native_batch(input);
  check_decompress(input, {});
  check_decompress(input, dictionary());
  check_round_trip(input);
  return 0;
}

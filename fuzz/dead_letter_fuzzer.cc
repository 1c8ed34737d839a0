// dead_letter_fuzzer: arbitrary bytes as a dead-letter frame payload (engine/forward/dead_letter_log.h)
// must either decode or be refused with a Corruption error saying why; never crash, never
// read outside the payload.
//
// Oracles:
//   - what decodes lies inside the input (error text and original payload are views of it)
//     and re-encodes to exactly the input bytes (the format is canonical: zero padding and
//     reserved bytes, error length within its limit);
//   - the input split into an error text and a payload, encoded, decodes back to the same
//     fields (truncated error included).
//
// The payload is copied to a heap block of exactly its size, so ASan catches a read one byte
// past it.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "engine/forward/dead_letter_log.h"

namespace {

using spool::engine::DeadLetterInput;

void check_decode(std::span<const std::uint8_t> bytes) {
  auto d = spool::engine::decode_dead_letter_payload(bytes);
  if (!d) {
    if (d.status().code() != spool::StatusCode::kCorruption) std::abort();
    if (d.status().message().empty()) std::abort();  // a refusal must say why
    return;
  }
  const auto* begin = reinterpret_cast<const char*>(bytes.data());
  const auto* end = begin + bytes.size();
  if (d->error.size() > spool::engine::kMaxDeadLetterErrorBytes) std::abort();
  if (!d->error.empty() && (d->error.data() < begin || d->error.data() + d->error.size() > end)) std::abort();
  const auto* p = reinterpret_cast<const char*>(d->payload.data());
  if (!d->payload.empty() && (p < begin || p + d->payload.size() > end)) std::abort();

  DeadLetterInput in;
  in.log_id = d->log_id;
  in.offset = d->offset;
  in.attempts = d->attempts;
  in.error = d->error;
  in.payload = d->payload;
  std::vector<std::uint8_t> again;
  spool::engine::encode_dead_letter_payload(in, d->dead_lettered_at_ns, &again);
  if (again.size() != bytes.size() || std::memcmp(again.data(), bytes.data(), bytes.size()) != 0) {
    std::abort();
  }
}

void check_encode(std::span<const std::uint8_t> data) {
  if (data.size() < 2) return;
  // First two bytes: how much of the rest is error text (scaled so long errors occur).
  const std::size_t want = (static_cast<std::size_t>(data[0]) | std::size_t{data[1]} << 8) * 4;
  const std::span<const std::uint8_t> rest = data.subspan(2);
  const std::size_t error_len = want < rest.size() ? want : rest.size();
  DeadLetterInput in;
  in.log_id = rest.size();
  in.offset = error_len;
  in.attempts = static_cast<std::uint32_t>(want);
  in.error = std::string_view(reinterpret_cast<const char*>(rest.data()), error_len);
  in.payload = rest.subspan(error_len);
  std::vector<std::uint8_t> bytes;
  spool::engine::encode_dead_letter_payload(in, -1, &bytes);
  auto d = spool::engine::decode_dead_letter_payload(bytes);
  if (!d) std::abort();
  if (d->log_id != in.log_id || d->offset != in.offset || d->attempts != in.attempts ||
      d->dead_lettered_at_ns != -1) {
    std::abort();
  }
  if (d->error != spool::engine::truncate_dead_letter_error(in.error)) std::abort();
  if (d->payload.size() != in.payload.size() ||
      (!in.payload.empty() && std::memcmp(d->payload.data(), in.payload.data(), in.payload.size()) != 0)) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::unique_ptr<std::uint8_t[]> exact(new std::uint8_t[size]);
  if (size > 0) std::memcpy(exact.get(), data, size);
  const std::span<const std::uint8_t> bytes(exact.get(), size);
  check_decode(bytes);
  check_encode(bytes);
  return 0;
}

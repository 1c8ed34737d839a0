// record_json_fuzzer: arbitrary bytes as a record payload of any frame type must be either
// decoded (tools/record_json.h) or refused with a reason; never crash, never read outside
// the payload, never hang.
//
// Input: the frame type (2 bytes, little-endian) then the payload. The payload is copied to
// a heap block of exactly its size (8-byte aligned, as log payloads are), so ASan catches a
// read one byte past it. A second pass decodes it from a misaligned copy, which
// record_to_json must realign itself.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <span>

#include "spool/record_verify.h"
#include "tools/record_json.h"

namespace {

void decode_and_print(std::uint16_t type, std::span<const std::uint8_t> payload) {
  auto json = spool::tools::record_to_json(type, payload);
  if (!json) {
    if (json.status().message().empty()) std::abort();  // a refusal must say why
    return;
  }
  // Whatever decoded must print (strings need not be UTF-8: replaced, never thrown).
  const std::string text =
      json.value().dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  if (text.empty() || text.front() != '{') std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const auto type = static_cast<std::uint16_t>(data[0] | data[1] << 8);
  const std::size_t n = size - 2;

  const std::unique_ptr<std::uint8_t[]> aligned(new std::uint8_t[n]);
  if (n > 0) std::memcpy(aligned.get(), data + 2, n);
  const std::span<const std::uint8_t> payload(aligned.get(), n);
  decode_and_print(type, payload);

  // Bytes that verify as their kind's table must decode.
  if (type >= 1 && type <= 4 &&
      spool::verify_encoded(static_cast<spool::RecordKind>(type), payload).is_ok() &&
      !spool::tools::record_to_json(type, payload).is_ok()) {
    std::abort();
  }

  const std::unique_ptr<std::uint8_t[]> shifted(new std::uint8_t[n + 1]);
  if (n > 0) std::memcpy(shifted.get() + 1, data + 2, n);
  decode_and_print(type, std::span<const std::uint8_t>(shifted.get() + 1, n));
  return 0;
}

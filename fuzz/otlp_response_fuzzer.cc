// Fuzzes what an OTLP/HTTP receiver answers (engine/sinks/otlp/otlp_export_response.h): the protobuf and
// JSON Export*ServiceResponse decoders and the rejected-offsets convention. Bytes from the
// network: any input must be decoded or refused with an error, never crash, hang or read out
// of bounds. The first input byte picks the encoding; the rest is the body.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "engine/sinks/otlp/otlp_export_response.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const bool json = (data[0] & 1) != 0;
  const std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  auto parsed = spool::engine::parse_otlp_export_response(body, json);
  std::vector<std::uint64_t> offsets;
  if (parsed) {
    (void)spool::engine::parse_rejected_offsets(parsed->error_message, &offsets);
  }
  // The offsets parser also sees raw text (an error message is any string).
  (void)spool::engine::parse_rejected_offsets(body, &offsets);
  return 0;
}

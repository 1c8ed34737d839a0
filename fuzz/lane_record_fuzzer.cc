// A lane's record (engine/produce/lane_record.h): DIR/lanes/<name>/LANE is read from disk by
// every process that opens the log without declaring its lanes, so any bytes must decode to a
// lane or to a Corruption error, never crash. The checksum would stop almost every mutation
// at the door, so each input is also decoded sealed with its own valid checksum (the parser
// behind the door); what decodes must survive an encode/decode round trip unchanged.
#include <xxhash.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "engine/produce/lane_record.h"
#include "io/hex.h"

namespace {

void check(std::string_view text) {
  using spool::engine::decode_lane_record;
  using spool::engine::encode_lane_record;
  auto decoded = decode_lane_record(text);
  if (!decoded) return;
  const std::string encoded = encode_lane_record(*decoded);
  auto again = decode_lane_record(encoded);
  if (!again || encode_lane_record(*again) != encoded) {
    std::fprintf(stderr, "round trip failed: %s\nencoded:\n%s\n",
                 again ? "encodings differ" : again.status().to_string().c_str(), encoded.c_str());
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  check(text);
  std::string sealed(text);
  sealed += "checksum " + spool::io::hex_u64(XXH3_64bits(sealed.data(), sealed.size())) + "\n";
  check(sealed);
  return 0;
}

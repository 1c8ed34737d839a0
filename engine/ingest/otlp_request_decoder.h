#pragma once
#include <span>
#include <string>
#include "engine/sinks/otlp/otlp_mapping.h"
namespace spool::engine {
enum class OtlpFormat : std::uint8_t { kProtobuf, kJson };
class OtlpDecodedRequest { public:
  std::span<const EncodedRecord> records() const noexcept; std::uint64_t rejected() const noexcept;
  const std::string& rejection_message() const noexcept; void clear(); };
Status decode_otlp_request(OtlpSignal signal, OtlpFormat format, std::span<const std::uint8_t> body, OtlpDecodedRequest* out);
}

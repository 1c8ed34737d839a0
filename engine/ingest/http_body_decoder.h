#pragma once
#include <span>
#include <string>
namespace spool::engine {
struct BodyDecodeResult { enum class Kind : std::uint8_t { kOk, kUnsupported, kCorrupt, kTooLarge } kind = Kind::kOk; std::string message; };
BodyDecodeResult decode_content_encoding(std::string_view encoding, std::span<const std::uint8_t> in, std::size_t max_out, std::string* out);
}

// Base64 (RFC 4648 section 4: standard alphabet, '=' padding), for carrying arbitrary record
// payloads inside JSON text.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace spool::tools {

std::string base64_encode(std::span<const std::uint8_t> bytes);
std::string base64_encode(std::string_view bytes);

// Strict decoding: the length must be a multiple of 4, padding only at the end, no
// whitespace, and the unused low bits of the last symbol must be zero, so every byte string
// has exactly one accepted encoding. nullopt for anything else.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace spool::tools

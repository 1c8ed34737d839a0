// Base64 (RFC 4648 section 4: standard alphabet, '=' padding), for carrying arbitrary bytes
// inside JSON text: OTLP/JSON bytes fields, spoolctl dump's payloads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace spool::engine {

// Appends the encoding of `n` bytes at `data` to `out`, no quotes (no allocation beyond
// growing `out`).
void append_base64(std::string& out, const std::uint8_t* data, std::size_t n);
std::string base64_encode(std::span<const std::uint8_t> bytes);
std::string base64_encode(std::string_view bytes);

// Strict decoding: the length must be a multiple of 4, padding only at the end, no
// whitespace, and the unused low bits of the last symbol must be zero, so every byte string
// has exactly one accepted encoding. nullopt for anything else.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace spool::engine

// Appending JSON text to a std::string: strings (escaped, always valid UTF-8), numbers (base64: base64.h).
// Used by the OTLP/JSON encoder and the JSONL file sink, which write JSON far faster by hand
// than through a DOM, and from the engine, which does not link a JSON library.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace spool::engine {

// `s` as a JSON string with its quotes. Bytes that are not valid UTF-8 become U+FFFD (JSON
// text must be UTF-8, and a receiver would otherwise refuse the whole request).
void append_json_string(std::string& out, std::string_view s);
// Decimal digits, no quotes.
void append_decimal(std::string& out, std::uint64_t v);
void append_decimal(std::string& out, std::int64_t v);
// Decimal digits in quotes: how proto3 JSON writes 64-bit integers (JavaScript numbers hold
// only 53 bits).
void append_quoted_decimal(std::string& out, std::uint64_t v);
void append_quoted_decimal(std::string& out, std::int64_t v);
// The shortest text that reads back as `v`; NaN and infinities as proto3 JSON spells them:
// "NaN", "Infinity", "-Infinity" (strings, JSON has no such numbers).
void append_json_double(std::string& out, double v);

}  // namespace spool::engine

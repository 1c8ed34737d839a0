// Redaction rules: which parts of a record a sink may not receive as they are (prompts, model
// outputs, tool calls, named attributes), and what it receives instead. A RedactingSink
// (spool/redacting_sink.h) applies them to every record before the wrapped sink encodes it.
//
// Text form (spoolctl forward --redact, spoold's `redact`), items separated by commas:
//
//   ITEM   := TARGET [":" ACTION]           blanks around items, ':' and '=' are ignored
//   ACTION := "drop" | "hash" | "truncate=" N   (no action: drop; N bytes, 1 .. 2^31-1)
//   TARGET := a field:      input, output (a span's prompt and completion), tool_input,
//                           tool_output, tool (both tool fields), body (a log record's body,
//                           string or structured), data (a Record's bytes)
//           | an attribute: its key, e.g. user.email
//           | a key prefix: ending in '*', e.g. llm.* (every key that starts with "llm.");
//                           * alone names every attribute
//
// e.g. "input,output:hash,tool:truncate=64,llm.*:drop".
//
// Attributes: a rule names an attribute of the record, of its events, links, resource and
// scope, at any depth: an entry of a key/value-list attribute is named by its parent's name,
// '.', its key ({"llm": {"prompt": ...}} holds "llm.prompt", like a flat "llm.prompt"), and an
// array's elements go by the array's name. An exact key wins over a prefix, a longer prefix
// over a shorter one, and a nested name's own rule over the one it inherits from its parent.
// Keys holding ',' or ':' cannot be named (a prefix can cover them). The fields input, output,
// tool_input and tool_output also name the attributes the OTLP sinks send them as
// (gen_ai.prompt, gen_ai.completion, gen_ai.tool.call.arguments, gen_ai.tool.call.result),
// which is where spans received over OTLP carry them, unless a rule names that key itself.
//
// Actions:
//   drop      the field or attribute is left out.
//   hash      the value is replaced by "hmac-sha256:" and the 64 lowercase hex digits of its
//             HMAC-SHA256 under the sink's key (RedactionOptions::hash_key): equal values give
//             equal hashes, so a receiver can join and count on them, but without the key
//             nobody can test guesses against them (an unkeyed hash of a short prompt is
//             reversed by hashing candidates). The HMAC is over the value's bytes: a string's
//             UTF-8, a bytes value's bytes, an integer's decimal digits, a double's shortest
//             round-trip text (std::to_chars), a bool's "true" / "false"; so any
//             HMAC-SHA256 implementation given the key and the value gives the same digits.
//             Every hashed value becomes a string (a Record's data: the text's bytes); empty
//             values stay empty; a value of an attribute type this version does not know is
//             left out (it cannot be hashed as what it is).
//   truncate  strings are cut to at most N bytes, at a UTF-8 character boundary; bytes
//             values to N bytes; numbers and bools are kept.
// hash and truncate apply to every value inside a key/value list or array (keys are kept).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "spool/status.h"

namespace spool {

enum class RedactAction : std::uint8_t { kDrop, kHash, kTruncate };

struct RedactionRule {
  std::string target;  // a field, an attribute key, or a key prefix ending in '*'
  RedactAction action = RedactAction::kDrop;
  std::uint32_t truncate_bytes = 0;  // kTruncate: at most this many bytes (>= 1)
};

// The shortest HMAC key accepted: 128 bits, so the key cannot be guessed either.
inline constexpr std::size_t kMinRedactionKeyBytes = 16;

struct RedactionOptions {
  std::vector<RedactionRule> rules;
  // HMAC-SHA256 key of the hash action (required when a rule hashes, at least
  // kMinRedactionKeyBytes): per sink, so receivers of different sinks cannot join.
  std::string hash_key;
  // zstd level of the native batch the redacting sink compresses itself for a wrapped sink
  // that wants_compressed_batch() (CompressionOptions::zstd_level's range).
  int zstd_level = 1;
};

// The rules of one text (grammar above), in order. InvalidArgument naming the bad item
// ("item 2 'output:hsh': unknown action 'hsh' (drop, hash or truncate=N)"), for empty text
// and empty items too.
Result<std::vector<RedactionRule>> parse_redaction_rules(std::string_view text);

// The rule as text the parser reads back: "input:drop", "output:hash", "llm.*:truncate=64".
std::string redaction_rule_text(const RedactionRule& rule);

// OK, or InvalidArgument naming the rule: a target that does not parse as one, a field or key
// given two rules (tool counts as tool_input and tool_output), truncate to 0 bytes, a hash
// rule without a key of at least kMinRedactionKeyBytes, a zstd level out of range.
Status validate(const RedactionOptions& options);

}  // namespace spool

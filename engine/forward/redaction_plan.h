// RedactionPlan: validated redaction rules (spool/redaction.h) arranged for lookup while
// records are rewritten: one slot per record field, a hash map of exact attribute names and
// the key prefixes, longest first.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "spool/redaction.h"

namespace spool::engine {

// The record fields a rule can name (records.fbs): Span.input, .output, .tool_input,
// .tool_output; LogRecord.body and .body_value; Record.data.
enum class RedactedField : std::uint8_t { kInput, kOutput, kToolInput, kToolOutput, kBody, kData };
inline constexpr std::size_t kRedactedFieldCount = 6;

// The fields a target word names ("tool" names both tool fields); empty when the word is not
// a field's (it is then an attribute key or prefix).
std::span<const RedactedField> fields_named(std::string_view target) noexcept;
// The field's word ("input", "tool_output", ...).
std::string_view redacted_field_name(RedactedField field) noexcept;
// The attribute key the OTLP sinks send the field as (otlp_keys in otlp_mapping.h), which is
// also where spans received over OTLP carry it; "" for body and data.
std::string_view redacted_field_attribute(RedactedField field) noexcept;

class RedactionPlan {
 public:
  // `rules` must pass validate(RedactionOptions).
  explicit RedactionPlan(std::span<const RedactionRule> rules);
  // The lookups point into rules_: a move keeps its storage, a copy would not.
  RedactionPlan(RedactionPlan&&) noexcept = default;
  RedactionPlan& operator=(RedactionPlan&&) noexcept = default;
  RedactionPlan(const RedactionPlan&) = delete;
  RedactionPlan& operator=(const RedactionPlan&) = delete;

  // The rule of a field; nullptr when none.
  const RedactionRule* field(RedactedField f) const noexcept {
    return fields_[static_cast<std::size_t>(f)];
  }
  // The rule of an attribute name (a key, or a nested entry's dotted name): the exact name's,
  // else the longest matching prefix's; nullptr when none.
  const RedactionRule* attribute(std::string_view name) const noexcept;
  // Whether any rule names attributes (otherwise a record's attributes need no walk).
  bool has_attribute_rules() const noexcept { return !exact_.empty() || !prefixes_.empty(); }

 private:
  struct NameHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };
  std::vector<RedactionRule> rules_;  // owned copies the pointers below point into
  std::array<const RedactionRule*, kRedactedFieldCount> fields_{};
  std::unordered_map<std::string, const RedactionRule*, NameHash, std::equal_to<>> exact_;
  std::vector<std::pair<std::string, const RedactionRule*>> prefixes_;  // longest first
};

}  // namespace spool::engine

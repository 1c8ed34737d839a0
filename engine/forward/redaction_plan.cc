#include "engine/forward/redaction_plan.h"

#include <algorithm>

namespace spool::engine {

namespace {

struct FieldWord {
  std::string_view word;
  std::span<const RedactedField> fields;
};

constexpr RedactedField kInput[] = {RedactedField::kInput};
constexpr RedactedField kOutput[] = {RedactedField::kOutput};
constexpr RedactedField kToolInput[] = {RedactedField::kToolInput};
constexpr RedactedField kToolOutput[] = {RedactedField::kToolOutput};
constexpr RedactedField kTool[] = {RedactedField::kToolInput, RedactedField::kToolOutput};
constexpr RedactedField kBody[] = {RedactedField::kBody};
constexpr RedactedField kData[] = {RedactedField::kData};

constexpr FieldWord kFieldWords[] = {
    {"input", kInput},
    {"output", kOutput},
    {"tool_input", kToolInput},
    {"tool_output", kToolOutput},
    {"tool", kTool},
    {"body", kBody},
    {"data", kData},
};

}  // namespace

std::span<const RedactedField> fields_named(std::string_view target) noexcept {
  for (const FieldWord& w : kFieldWords) {
    if (w.word == target) return w.fields;
  }
  return {};
}

std::string_view redacted_field_name(RedactedField field) noexcept {
  switch (field) {
    case RedactedField::kInput:
      return "input";
    case RedactedField::kOutput:
      return "output";
    case RedactedField::kToolInput:
      return "tool_input";
    case RedactedField::kToolOutput:
      return "tool_output";
    case RedactedField::kBody:
      return "body";
    case RedactedField::kData:
      return "data";
  }
  return "";
}

// The same keys as otlp_keys::kInput etc. (engine/sinks/otlp/otlp_mapping.h, a room this one
// cannot include); record_redactor_test checks that they agree.
std::string_view redacted_field_attribute(RedactedField field) noexcept {
  switch (field) {
    case RedactedField::kInput:
      return "gen_ai.prompt";
    case RedactedField::kOutput:
      return "gen_ai.completion";
    case RedactedField::kToolInput:
      return "gen_ai.tool.call.arguments";
    case RedactedField::kToolOutput:
      return "gen_ai.tool.call.result";
    case RedactedField::kBody:
    case RedactedField::kData:
      return "";
  }
  return "";
}

RedactionPlan::RedactionPlan(std::span<const RedactionRule> rules)
    : rules_(rules.begin(), rules.end()) {
  std::vector<std::pair<std::string, const RedactionRule*>> aliases;
  for (const RedactionRule& rule : rules_) {
    const auto fields = fields_named(rule.target);
    for (RedactedField f : fields) {
      fields_[static_cast<std::size_t>(f)] = &rule;
      if (const std::string_view key = redacted_field_attribute(f); !key.empty())
        aliases.emplace_back(key, &rule);
    }
    if (!fields.empty()) continue;
    if (rule.target.ends_with('*')) {
      prefixes_.emplace_back(rule.target.substr(0, rule.target.size() - 1), &rule);
    } else {
      exact_.emplace(rule.target, &rule);
    }
  }
  // A rule naming the key itself wins over the field's (emplace keeps the first).
  for (auto& [key, rule] : aliases) exact_.emplace(std::move(key), rule);
  std::stable_sort(prefixes_.begin(), prefixes_.end(),
                   [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
}

const RedactionRule* RedactionPlan::attribute(std::string_view name) const noexcept {
  if (auto it = exact_.find(name); it != exact_.end()) return it->second;
  for (const auto& [prefix, rule] : prefixes_) {
    if (name.starts_with(prefix)) return rule;
  }
  return nullptr;
}

}  // namespace spool::engine

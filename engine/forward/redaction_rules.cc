// The text form of redaction rules and their validation (spool/redaction.h).
#include <charconv>
#include <limits>
#include <optional>
#include <string>

#include "engine/forward/redaction_plan.h"
#include "spool/forwarder_options.h"
#include "spool/redaction.h"

namespace spool {

namespace {

constexpr std::uint32_t kMaxTruncateBytes = std::numeric_limits<std::int32_t>::max();

bool blank(char c) noexcept { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && blank(s.back())) s.remove_suffix(1);
  return s;
}

// Why `target` cannot be a rule's target; "" when it can.
std::string target_problem(std::string_view target) {
  if (target.empty()) return "names no field or attribute";
  for (std::size_t i = 0; i < target.size(); ++i) {
    const auto c = static_cast<unsigned char>(target[i]);
    if (c <= 0x20 || c == 0x7f) return "the target has a blank or control character";
    if (c == ',' || c == ':') return "the target has a ',' or ':'";
    if (c == '*' && i + 1 != target.size()) return "'*' may only end a key prefix";
  }
  return {};
}

// "drop", "hash", "truncate=N"; nullopt (and *why) otherwise.
std::optional<RedactionRule> parse_action(std::string_view action, std::string* why) {
  RedactionRule rule;
  if (action == "drop") return rule;
  if (action == "hash") {
    rule.action = RedactAction::kHash;
    return rule;
  }
  constexpr std::string_view kTruncate = "truncate";
  if (action.starts_with(kTruncate)) {
    const std::string_view rest = trim(action.substr(kTruncate.size()));
    const std::string_view digits =
        rest.starts_with('=') ? trim(rest.substr(1)) : std::string_view();
    std::uint64_t n = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
    if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() || n == 0 ||
        n > kMaxTruncateBytes) {
      *why = "truncate needs a number of bytes from 1 to " + std::to_string(kMaxTruncateBytes) +
             " (truncate=N)";
      return std::nullopt;
    }
    rule.action = RedactAction::kTruncate;
    rule.truncate_bytes = static_cast<std::uint32_t>(n);
    return rule;
  }
  *why = "unknown action '" + std::string(action) + "' (drop, hash or truncate=N)";
  return std::nullopt;
}

}  // namespace

Result<std::vector<RedactionRule>> parse_redaction_rules(std::string_view text) {
  if (trim(text).empty())
    return Status::invalid_argument("no rules (expected FIELD[:ACTION][,...])");
  std::vector<RedactionRule> rules;
  std::size_t index = 0;
  while (true) {
    const std::size_t comma = text.find(',');
    const std::string_view item = trim(text.substr(0, comma));
    ++index;
    const std::string at = "item " + std::to_string(index);
    if (item.empty()) return Status::invalid_argument(at + " is empty");
    const std::size_t colon = item.find(':');
    const std::string_view target = trim(item.substr(0, colon));
    std::string why = target_problem(target);
    std::optional<RedactionRule> rule;
    if (why.empty())
      rule = colon == std::string_view::npos ? RedactionRule{}
                                             : parse_action(trim(item.substr(colon + 1)), &why);
    if (!rule) return Status::invalid_argument(at + " '" + std::string(item) + "': " + why);
    rule->target = std::string(target);
    rules.push_back(std::move(*rule));
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return rules;
}

std::string redaction_rule_text(const RedactionRule& rule) {
  switch (rule.action) {
    case RedactAction::kDrop:
      return rule.target + ":drop";
    case RedactAction::kHash:
      return rule.target + ":hash";
    case RedactAction::kTruncate:
      return rule.target + ":truncate=" + std::to_string(rule.truncate_bytes);
  }
  return rule.target;
}

Status validate(const RedactionOptions& options) {
  std::vector<std::string> named;  // per rule: what it names, to find a second rule naming it
  std::vector<const RedactionRule*> namer;
  auto claim = [&](std::string name, const RedactionRule& rule) -> Status {
    for (std::size_t i = 0; i < named.size(); ++i) {
      if (named[i] != name) continue;
      return Status::invalid_argument("rule '" + redaction_rule_text(rule) + "' names " + name +
                                      ", which rule '" + redaction_rule_text(*namer[i]) +
                                      "' names too");
    }
    named.push_back(std::move(name));
    namer.push_back(&rule);
    return Status::ok();
  };
  for (const RedactionRule& rule : options.rules) {
    const std::string text = redaction_rule_text(rule);
    if (const std::string why = target_problem(rule.target); !why.empty()) {
      return Status::invalid_argument("rule '" + text + "': " + why);
    }
    if (rule.action == RedactAction::kTruncate &&
        (rule.truncate_bytes == 0 || rule.truncate_bytes > kMaxTruncateBytes)) {
      return Status::invalid_argument("rule '" + text +
                                      "': truncate needs a number of bytes from 1 to " +
                                      std::to_string(kMaxTruncateBytes));
    }
    if (rule.action == RedactAction::kHash && options.hash_key.size() < kMinRedactionKeyBytes) {
      return Status::invalid_argument("rule '" + text + "' hashes, which needs a key of at least " +
                                      std::to_string(kMinRedactionKeyBytes) + " bytes" +
                                      (options.hash_key.empty() ? " (none is set)" : ""));
    }
    const auto fields = engine::fields_named(rule.target);
    for (engine::RedactedField f : fields)
      SPOOL_RETURN_IF_ERROR(claim(std::string(engine::redacted_field_name(f)), rule));
    if (fields.empty()) SPOOL_RETURN_IF_ERROR(claim(rule.target, rule));
  }
  CompressionOptions compression;
  compression.zstd_level = options.zstd_level;
  if (Status s = validate(compression); !s)
    return Status::invalid_argument("redaction " + s.message());
  return Status::ok();
}

}  // namespace spool

#include "tools/redaction_config.h"

#include "engine/forward/redaction_key_file.h"

namespace spool::tools {

Result<RedactionOptions> redaction_options(std::span<const std::string> rule_texts,
                                           const std::string& key_file, std::string_view key_option,
                                           std::vector<std::string>* warnings) {
  RedactionOptions options;
  for (const std::string& text : rule_texts) {
    auto rules = parse_redaction_rules(text);
    if (!rules) {
      // An item is named by its number in its own list: the list is named when it has more.
      const std::string list = text.find(',') == std::string::npos ? "" : "'" + text + "': ";
      return Status::invalid_argument(list + rules.status().message());
    }
    options.rules.insert(options.rules.end(), rules->begin(), rules->end());
  }
  for (const RedactionRule& rule : options.rules) {
    if (rule.action == RedactAction::kHash && key_file.empty()) {
      return Status::invalid_argument("rule '" + redaction_rule_text(rule) +
                                      "' hashes, which needs a key (" + std::string(key_option) +
                                      ")");
    }
  }
  if (!key_file.empty()) {
    auto key = engine::read_redaction_key_file(key_file);
    if (!key) return key.status();
    options.hash_key = std::move(key->text);
    warnings->insert(warnings->end(), key->warnings.begin(), key->warnings.end());
  }
  SPOOL_RETURN_IF_ERROR(validate(options));
  return options;
}

}  // namespace spool::tools

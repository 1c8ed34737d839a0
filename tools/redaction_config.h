// A sink's redaction as the front ends are given it (spoolctl forward --redact and
// --redact-key-file, spoold's `redact` and `redact_key_file` per sink and its --redact flags):
// rule texts, each a comma-separated list (spool/redaction.h), and the file holding the
// HMAC key (engine/forward/redaction_key_file.h), checked together.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "spool/redaction.h"
#include "spool/status.h"

namespace spool::tools {

// The rules of every text, in order, and the key read from `key_file` ("" = none), validated
// (a key file without rules is the caller's to refuse, naming its options).
// InvalidArgument saying what is wrong, for the caller to prefix with the option's name: the
// bad item of a text, a rule the others conflict with, a hash rule without a key file (the
// message names `key_option`, where the key file is given), the key file's problem.
// `warnings` gets the key file's (readable by others).
Result<RedactionOptions> redaction_options(std::span<const std::string> rule_texts,
                                           const std::string& key_file, std::string_view key_option,
                                           std::vector<std::string>* warnings);

}  // namespace spool::tools

// The names spoolctl and the benchmark drivers give Buffer options on their command lines
// and in their reports, so every tool spells a policy or a durability mode the same way.
#pragma once

#include <CLI/CLI.hpp>
#include <map>
#include <string>

#include "spool/buffer_options.h"
#include "spool/records.h"

namespace spool::tools {

// "block", "drop_newest", "drop_oldest", "sample".
const std::map<std::string, FullPolicy>& full_policy_names();
// "none", "interval", "batch".
const std::map<std::string, Durability>& durability_names();
// "low", "normal", "high", "critical" (a record's priority).
const std::map<std::string, Priority>& priority_names();

// The name of `value` in `names`, "unknown" when it has none.
template <typename Enum>
std::string name_of(const std::map<std::string, Enum>& names, Enum value) {
  for (const auto& [name, v] : names) {
    if (v == value) return name;
  }
  return "unknown";
}

// A CLI11 transform that accepts one of the names and passes on the enum's number, which
// CLI11 assigns to the option. (CLI::CheckedTransformer does this too, but its error message
// prints uint8_t enums as characters, and the NUL of value 0 cuts the message short.)
template <typename Enum>
CLI::Validator one_of_names(const std::map<std::string, Enum>& names) {
  std::string list;
  for (const auto& entry : names) list += (list.empty() ? "" : ", ") + entry.first;
  return CLI::Validator(
      [names, list](std::string& text) -> std::string {
        auto it = names.find(text);
        if (it == names.end()) return "'" + text + "' is not one of " + list;
        text = std::to_string(static_cast<int>(it->second));
        return {};
      },
      "one of " + list);
}

}  // namespace spool::tools

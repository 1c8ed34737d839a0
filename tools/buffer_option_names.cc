#include "tools/buffer_option_names.h"

namespace spool::tools {

// The names are the library's (full_policy_name, durability_name): spelled in one place.
const std::map<std::string, FullPolicy>& full_policy_names() {
  static const auto* const names = [] {
    auto* m = new std::map<std::string, FullPolicy>;
    for (FullPolicy p : {FullPolicy::kBlock, FullPolicy::kDropNewest, FullPolicy::kDropOldest,
                         FullPolicy::kSample})
      m->emplace(std::string(full_policy_name(p)), p);
    return m;
  }();
  return *names;
}

const std::map<std::string, Durability>& durability_names() {
  static const auto* const names = [] {
    auto* m = new std::map<std::string, Durability>;
    for (Durability d : {Durability::kNone, Durability::kInterval, Durability::kBatch})
      m->emplace(std::string(durability_name(d)), d);
    return m;
  }();
  return *names;
}

const std::map<std::string, Priority>& priority_names() {
  static const std::map<std::string, Priority> names{{"low", Priority::kLow},
                                                     {"normal", Priority::kNormal},
                                                     {"high", Priority::kHigh},
                                                     {"critical", Priority::kCritical}};
  return names;
}

}  // namespace spool::tools

#include "tools/buffer_option_names.h"

namespace spool::tools {

const std::map<std::string, FullPolicy>& full_policy_names() {
  static const std::map<std::string, FullPolicy> names{{"block", FullPolicy::kBlock},
                                                       {"drop_newest", FullPolicy::kDropNewest},
                                                       {"drop_oldest", FullPolicy::kDropOldest},
                                                       {"sample", FullPolicy::kSample}};
  return names;
}

const std::map<std::string, Durability>& durability_names() {
  static const std::map<std::string, Durability> names{
      {"none", Durability::kNone}, {"interval", Durability::kInterval}, {"batch", Durability::kBatch}};
  return names;
}

const std::map<std::string, Priority>& priority_names() {
  static const std::map<std::string, Priority> names{{"low", Priority::kLow},
                                                     {"normal", Priority::kNormal},
                                                     {"high", Priority::kHigh},
                                                     {"critical", Priority::kCritical}};
  return names;
}

}  // namespace spool::tools

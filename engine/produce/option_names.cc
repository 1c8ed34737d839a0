// The names of FullPolicy and Durability values (spool/full_policy.h, spool/options.h), as the
// C API, the tools' options and the lanes' records spell them.
#include <array>
#include <utility>

#include "spool/full_policy.h"
#include "spool/options.h"

namespace spool {

namespace {

constexpr std::array<std::pair<std::string_view, FullPolicy>, 4> kPolicies{{
    {"block", FullPolicy::kBlock},
    {"drop_newest", FullPolicy::kDropNewest},
    {"drop_oldest", FullPolicy::kDropOldest},
    {"sample", FullPolicy::kSample},
}};

constexpr std::array<std::pair<std::string_view, Durability>, 3> kDurabilities{{
    {"none", Durability::kNone},
    {"interval", Durability::kInterval},
    {"batch", Durability::kBatch},
}};

template <typename Enum, std::size_t N>
std::string_view name_in(const std::array<std::pair<std::string_view, Enum>, N>& names,
                         Enum value) noexcept {
  for (const auto& [name, v] : names) {
    if (v == value) return name;
  }
  return "unknown";
}

template <typename Enum, std::size_t N>
std::optional<Enum> value_in(const std::array<std::pair<std::string_view, Enum>, N>& names,
                             std::string_view text) noexcept {
  for (const auto& [name, v] : names) {
    if (name == text) return v;
  }
  return std::nullopt;
}

}  // namespace

std::string_view full_policy_name(FullPolicy policy) noexcept { return name_in(kPolicies, policy); }
std::optional<FullPolicy> full_policy_from_name(std::string_view name) noexcept {
  return value_in(kPolicies, name);
}
std::string_view durability_name(Durability durability) noexcept {
  return name_in(kDurabilities, durability);
}
std::optional<Durability> durability_from_name(std::string_view name) noexcept {
  return value_in(kDurabilities, name);
}

}  // namespace spool

// spoold's [buffer] table / --buffer NAME=VALUE: Buffer options by name. The names are the
// fields of spool::Options (and its LogOptions) they set; the enum values are spelled as
// every other tool spells them (tools/buffer_option_names.h).
#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <functional>
#include <limits>

#include "tools/buffer_option_names.h"
#include "tools/cli_numbers.h"
#include "tools/spoold/spoold_config.h"

namespace spool::tools {
namespace {

using Setter = std::function<Status(std::string_view text, Options* options)>;

Status not_a(std::string_view text, std::string_view what) {
  return Status::invalid_argument("'" + std::string(text) + "' is not " + std::string(what));
}

template <typename Enum>
Setter enum_setter(const std::map<std::string, Enum>& names, Enum& (*field)(Options*)) {
  return [&names, field](std::string_view text, Options* o) {
    auto it = names.find(std::string(text));
    if (it == names.end()) {
      std::string list;
      for (const auto& entry : names) list += (list.empty() ? "" : ", ") + entry.first;
      return not_a(text, "one of " + list);
    }
    field(o) = it->second;
    return Status::ok();
  };
}

template <typename Int>
Setter size_setter(Int& (*field)(Options*)) {
  return [field](std::string_view text, Options* o) {
    const auto value = parse_byte_size(text);
    if (!value) return not_a(text, "a size (a number, optionally with K, M or G)");
    if (*value > std::numeric_limits<Int>::max()) return not_a(text, "in range");
    field(o) = static_cast<Int>(*value);
    return Status::ok();
  };
}

template <typename Int>
Setter number_setter(Int& (*field)(Options*)) {
  return [field](std::string_view text, Options* o) {
    const auto value = parse_decimal_u64(text);
    if (!value) return not_a(text, "a number");
    if (*value > std::numeric_limits<Int>::max()) {
      return not_a(text,
                   "in range (at most " + std::to_string(std::numeric_limits<Int>::max()) + ")");
    }
    field(o) = static_cast<Int>(*value);
    return Status::ok();
  };
}

struct BufferOptionKey {
  std::string name;
  Setter set;
};

const std::vector<BufferOptionKey>& keys() {
  static const std::vector<BufferOptionKey> table = {
      {"durability", enum_setter<Durability>(durability_names(), [](Options* o) -> Durability& { return o->log.durability; })},
      {"sync_interval_ms", number_setter<std::uint32_t>([](Options* o) -> std::uint32_t& { return o->log.sync_interval_ms; })},
      {"segment_bytes", size_setter<std::uint64_t>([](Options* o) -> std::uint64_t& { return o->log.segment_bytes; })},
      {"max_record_bytes", size_setter<std::uint32_t>([](Options* o) -> std::uint32_t& { return o->log.max_record_bytes; })},
      {"full_policy", enum_setter<FullPolicy>(full_policy_names(), [](Options* o) -> FullPolicy& { return o->full_policy; })},
      {"disk_full_policy", enum_setter<FullPolicy>(full_policy_names(), [](Options* o) -> FullPolicy& { return o->disk_full_policy; })},
      {"block_timeout_ms", number_setter<std::uint32_t>([](Options* o) -> std::uint32_t& { return o->block_timeout_ms; })},
      {"sample_above_fill",
       [](std::string_view text, Options* o) {
         const std::string s(text);
         char* end = nullptr;
         errno = 0;
         const double value = std::strtod(s.c_str(), &end);
         if (s.empty() || end != s.c_str() + s.size() || errno != 0 || !(value >= 0 && value <= 1)) {
           return not_a(text, "a fraction between 0 and 1");
         }
         o->sample_above_fill = value;
         return Status::ok();
       }},
      {"sample_keep_one_in", number_setter<std::uint32_t>([](Options* o) -> std::uint32_t& { return o->sample_keep_one_in; })},
      {"queue_bytes", size_setter<std::uint64_t>([](Options* o) -> std::uint64_t& { return o->queue_bytes; })},
      {"min_queue_bytes", size_setter<std::uint64_t>([](Options* o) -> std::uint64_t& { return o->min_queue_bytes; })},
      {"producer_ring_bytes", size_setter<std::uint64_t>([](Options* o) -> std::uint64_t& { return o->producer_ring_bytes; })},
      {"ring_idle_release_ms", number_setter<std::uint32_t>([](Options* o) -> std::uint32_t& { return o->ring_idle_release_ms; })},
      {"writer_batch_bytes", size_setter<std::uint64_t>([](Options* o) -> std::uint64_t& { return o->writer_batch_bytes; })},
      {"adaptive_budget",
       [](std::string_view text, Options* o) {
         if (text != "true" && text != "false") return not_a(text, "true or false");
         o->adaptive_budget = text == "true";
         return Status::ok();
       }},
  };
  return table;
}

}  // namespace

const std::vector<std::string>& buffer_option_keys() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const auto& key : keys()) out.push_back(key.name);
    return out;
  }();
  return names;
}

Status apply_buffer_options(const std::map<std::string, std::string>& named, Options* options) {
  for (const auto& [name, value] : named) {
    const auto& table = keys();
    auto it = std::find_if(table.begin(), table.end(),
                           [&](const BufferOptionKey& k) { return k.name == name; });
    if (it == table.end()) {
      std::string list;
      for (const auto& key : table) list += (list.empty() ? "" : ", ") + key.name;
      return Status::invalid_argument("'" + name + "' is not a buffer option (" + list + ")");
    }
    Status status = it->set(value, options);
    if (!status.is_ok()) return Status::invalid_argument(name + ": " + status.message());
  }
  return Status::ok();
}

Status spoold_buffer_options(const SpooldConfig& config, Options* options) {
  options->role = Role::kWriter;
  if (config.max_size_mb != 0) options->log.retention_bytes = config.max_size_mb << 20;
  if (config.retention_days != 0) {
    options->log.retention_max_age_ms = std::uint64_t{config.retention_days} * 24 * 3600 * 1000;
  }
  SPOOL_RETURN_IF_ERROR(apply_buffer_options(config.buffer_options, options));
  options->lanes = config.lanes;
  return Status::ok();
}

}  // namespace spool::tools

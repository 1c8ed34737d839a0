#include "capi/c_options.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <functional>
#include <map>
#include <optional>
#include <string>

namespace spool::capi {
namespace {

constexpr std::string_view kLanePrefix = "lane.";

Status bad_value(std::string_view key, std::string_view value, std::string_view expected) {
  return Status::invalid_argument("option " + std::string(key) + ": '" + std::string(value) + "' is not " +
                                  std::string(expected));
}

template <typename T>
Status parse_unsigned(std::string_view key, std::string_view value, T* out, int base = 10) {
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), v, base);
  if (ec != std::errc() || end != value.data() + value.size() || value.empty() ||
      v > static_cast<std::uint64_t>(static_cast<T>(-1))) {
    return bad_value(key, value, base == 8 ? "an octal mode" : "a whole number in range");
  }
  *out = static_cast<T>(v);
  return Status::ok();
}

Status parse_bool(std::string_view key, std::string_view value, bool* out) {
  if (value == "true" || value == "1" || value == "yes") {
    *out = true;
  } else if (value == "false" || value == "0" || value == "no") {
    *out = false;
  } else {
    return bad_value(key, value, "true or false");
  }
  return Status::ok();
}

template <typename Enum>
Status parse_enum(std::string_view key, std::string_view value, const std::map<std::string_view, Enum>& names,
                  Enum* out, std::string_view expected) {
  const auto it = names.find(value);
  if (it == names.end()) return bad_value(key, value, expected);
  *out = it->second;
  return Status::ok();
}

using Setter = std::function<Status(Options&, std::string_view key, std::string_view value)>;

template <typename T>
Setter unsigned_field(T Options::*field) {
  return [field](Options& o, std::string_view k, std::string_view v) { return parse_unsigned(k, v, &(o.*field)); };
}
template <typename T>
Setter log_unsigned_field(T LogOptions::*field) {
  return [field](Options& o, std::string_view k, std::string_view v) { return parse_unsigned(k, v, &(o.log.*field)); };
}
Setter log_mode_field(mode_t LogOptions::*field) {
  return [field](Options& o, std::string_view k, std::string_view v) {
    unsigned mode = 0;
    SPOOL_RETURN_IF_ERROR(parse_unsigned(k, v, &mode, 8));
    if (mode > 07777) return bad_value(k, v, "a file mode (at most 07777)");
    o.log.*field = static_cast<mode_t>(mode);
    return Status::ok();
  };
}

// The names are the library's own (spool/full_policy.h, spool/options.h).
Status parse_policy(std::string_view key, std::string_view value, FullPolicy* out) {
  const std::optional<FullPolicy> policy = full_policy_from_name(value);
  if (!policy) return bad_value(key, value, "block, drop_newest, drop_oldest or sample");
  *out = *policy;
  return Status::ok();
}

Status parse_durability(std::string_view key, std::string_view value, Durability* out) {
  const std::optional<Durability> durability = durability_from_name(value);
  if (!durability) return bad_value(key, value, "none, interval or batch");
  *out = *durability;
  return Status::ok();
}

const std::map<std::string_view, Setter>& setters() {
  static const auto* const table = new std::map<std::string_view, Setter>{
      {"role",
       [](Options& o, std::string_view k, std::string_view v) {
         return parse_enum<Role>(k, v, {{"auto", Role::kAuto}, {"writer", Role::kWriter}, {"attach", Role::kAttach}},
                                 &o.role, "auto, writer or attach");
       }},
      {"full_policy", [](Options& o, std::string_view k,
                         std::string_view v) { return parse_policy(k, v, &o.full_policy); }},
      {"disk_full_policy",
       [](Options& o, std::string_view k, std::string_view v) {
         return parse_policy(k, v, &o.disk_full_policy);
       }},
      {"durability", [](Options& o, std::string_view k,
                        std::string_view v) { return parse_durability(k, v, &o.log.durability); }},
      {"io_backend",
       [](Options& o, std::string_view k, std::string_view v) {
         return parse_enum<IoBackend>(k, v,
                                      {{"auto", IoBackend::kAuto}, {"uring", IoBackend::kUring},
                                       {"pwrite", IoBackend::kPwrite}},
                                      &o.log.io_backend, "auto, uring or pwrite");
       }},
      {"adaptive_budget", [](Options& o, std::string_view k,
                             std::string_view v) { return parse_bool(k, v, &o.adaptive_budget); }},
      {"sample_above_fill",
       [](Options& o, std::string_view k, std::string_view v) {
         double d = 0;
         const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), d);
         if (ec != std::errc() || end != v.data() + v.size() || !(d >= 0 && d <= 1)) {
           return bad_value(k, v, "a fraction between 0 and 1");
         }
         o.sample_above_fill = d;
         return Status::ok();
       }},
      {"block_timeout_ms", unsigned_field(&Options::block_timeout_ms)},
      {"queue_bytes", unsigned_field(&Options::queue_bytes)},
      {"min_queue_bytes", unsigned_field(&Options::min_queue_bytes)},
      {"producer_ring_bytes", unsigned_field(&Options::producer_ring_bytes)},
      {"ring_idle_release_ms", unsigned_field(&Options::ring_idle_release_ms)},
      {"sample_keep_one_in", unsigned_field(&Options::sample_keep_one_in)},
      {"writer_batch_bytes", unsigned_field(&Options::writer_batch_bytes)},
      {"writer_spin_us", unsigned_field(&Options::writer_spin_us)},
      {"memory_check_interval_ms", unsigned_field(&Options::memory_check_interval_ms)},
      {"sync_interval_ms", log_unsigned_field(&LogOptions::sync_interval_ms)},
      {"segment_bytes", log_unsigned_field(&LogOptions::segment_bytes)},
      {"max_record_bytes", log_unsigned_field(&LogOptions::max_record_bytes)},
      {"retention_bytes", log_unsigned_field(&LogOptions::retention_bytes)},
      {"retention_max_age_ms", log_unsigned_field(&LogOptions::retention_max_age_ms)},
      {"file_mode", log_mode_field(&LogOptions::file_mode)},
      {"dir_mode", log_mode_field(&LogOptions::dir_mode)},
  };
  return *table;
}

template <typename T>
Status optional_unsigned(std::string_view key, std::string_view value, std::optional<T>* out) {
  T v{};
  SPOOL_RETURN_IF_ERROR(parse_unsigned(key, value, &v));
  *out = v;
  return Status::ok();
}

// "lane.<name>.<field>": a field of the lane of that name (spool/lane_options.h), the lane
// declared by its first option. Sizes and times are whole numbers, as every option's are.
Status set_lane_option(Options& options, std::string_view key, std::string_view value) {
  const std::string_view rest = key.substr(kLanePrefix.size());
  const std::size_t dot = rest.rfind('.');
  if (dot == std::string_view::npos || dot == 0) {
    return Status::invalid_argument("option " + std::string(key) +
                                    ": lane options are lane.<name>.<field>");
  }
  const std::string name(rest.substr(0, dot));
  const std::string_view field = rest.substr(dot + 1);
  auto it = std::find_if(options.lanes.begin(), options.lanes.end(),
                         [&](const LaneOptions& l) { return l.name == name; });
  LaneOptions added;
  added.name = name;
  LaneOptions& lane = it != options.lanes.end() ? *it : added;
  Status s;
  if (field == "route") {
    lane.route.clear();
    std::size_t start = 0;
    while (true) {
      const std::size_t comma = value.find(',', start);
      lane.route.emplace_back(value.substr(
          start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
      if (comma == std::string_view::npos) break;
      start = comma + 1;
    }
  } else if (field == "max_bytes") {
    s = optional_unsigned(key, value, &lane.max_bytes);
  } else if (field == "max_age_ms") {
    s = optional_unsigned(key, value, &lane.max_age_ms);
  } else if (field == "segment_bytes") {
    s = optional_unsigned(key, value, &lane.segment_bytes);
  } else if (field == "queue_bytes") {
    s = optional_unsigned(key, value, &lane.queue_bytes);
  } else if (field == "block_timeout_ms") {
    s = optional_unsigned(key, value, &lane.block_timeout_ms);
  } else if (field == "sample_keep_one_in") {
    s = optional_unsigned(key, value, &lane.sample_keep_one_in);
  } else if (field == "sync_interval_ms") {
    s = optional_unsigned(key, value, &lane.sync_interval_ms);
  } else if (field == "breaker_failure_threshold") {
    s = optional_unsigned(key, value, &lane.breaker_failure_threshold);
  } else if (field == "full_policy" || field == "disk_full_policy" || field == "durability" ||
             field == "sample_above_fill") {
    // The Buffer-wide setter of the same name, on a scratch Options.
    Options scratch;
    s = setters().at(field)(scratch, key, value);
    if (s && field == "full_policy") lane.full_policy = scratch.full_policy;
    if (s && field == "disk_full_policy") lane.disk_full_policy = scratch.disk_full_policy;
    if (s && field == "durability") lane.durability = scratch.log.durability;
    if (s && field == "sample_above_fill") lane.sample_above_fill = scratch.sample_above_fill;
  } else {
    return Status::invalid_argument(
        "unknown lane field '" + std::string(field) + "' in option " + std::string(key) +
        " (route, max_bytes, max_age_ms, segment_bytes, full_policy, disk_full_policy, "
        "queue_bytes, "
        "block_timeout_ms, sample_above_fill, sample_keep_one_in, durability, "
        "sync_interval_ms, breaker_failure_threshold)");
  }
  SPOOL_RETURN_IF_ERROR(s);
  if (it == options.lanes.end()) options.lanes.push_back(std::move(added));
  return Status::ok();
}

}  // namespace

Status set_option(Options& options, std::string_view key, std::string_view value) {
  if (key.substr(0, kLanePrefix.size()) == kLanePrefix) {
    Options changed = options;  // unchanged on error
    SPOOL_RETURN_IF_ERROR(set_lane_option(changed, key, value));
    options = changed;
    return Status::ok();
  }
  const auto it = setters().find(key);
  if (it == setters().end()) {
    std::string known;
    for (const auto& [name, setter] : setters()) known += (known.empty() ? "" : ", ") + std::string(name);
    return Status::invalid_argument("unknown option '" + std::string(key) + "' (known: " + known + ")");
  }
  Options changed = options;  // unchanged on error
  SPOOL_RETURN_IF_ERROR(it->second(changed, key, value));
  options = changed;
  return Status::ok();
}

}  // namespace spool::capi

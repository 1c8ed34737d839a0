#include "capi/c_options.h"

#include <charconv>
#include <cmath>
#include <functional>
#include <map>
#include <string>

namespace spool::capi {
namespace {

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

const std::map<std::string_view, Setter>& setters() {
  static const auto* const table = new std::map<std::string_view, Setter>{
      {"role",
       [](Options& o, std::string_view k, std::string_view v) {
         return parse_enum<Role>(k, v, {{"auto", Role::kAuto}, {"writer", Role::kWriter}, {"attach", Role::kAttach}},
                                 &o.role, "auto, writer or attach");
       }},
      {"full_policy",
       [](Options& o, std::string_view k, std::string_view v) {
         return parse_enum<FullPolicy>(k, v,
                                       {{"block", FullPolicy::kBlock},
                                        {"drop_newest", FullPolicy::kDropNewest},
                                        {"drop_oldest", FullPolicy::kDropOldest},
                                        {"sample", FullPolicy::kSample}},
                                       &o.full_policy, "block, drop_newest, drop_oldest or sample");
       }},
      {"durability",
       [](Options& o, std::string_view k, std::string_view v) {
         return parse_enum<Durability>(
             k, v, {{"none", Durability::kNone}, {"interval", Durability::kInterval}, {"batch", Durability::kBatch}},
             &o.log.durability, "none, interval or batch");
       }},
      {"io_backend",
       [](Options& o, std::string_view k, std::string_view v) {
         return parse_enum<IoBackend>(k, v,
                                      {{"auto", IoBackend::kAuto}, {"uring", IoBackend::kUring},
                                       {"pwrite", IoBackend::kPwrite}},
                                      &o.log.io_backend, "auto, uring or pwrite");
       }},
      {"adaptive_budget",
       [](Options& o, std::string_view k, std::string_view v) { return parse_bool(k, v, &o.adaptive_budget); }},
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

}  // namespace

Status set_option(Options& options, std::string_view key, std::string_view value) {
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

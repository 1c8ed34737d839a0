#include "tools/lane_spec.h"

#include <array>
#include <charconv>

#include "tools/buffer_option_names.h"
#include "tools/cli_numbers.h"

namespace spool::tools {

namespace {

constexpr std::array<std::string_view, 14> kKeys{"route",
                                                 "max_bytes",
                                                 "max_age_ms",
                                                 "segment_bytes",
                                                 "full_policy",
                                                 "disk_full_policy",
                                                 "policy",
                                                 "queue_bytes",
                                                 "block_timeout_ms",
                                                 "sample_above_fill",
                                                 "sample_keep_one_in",
                                                 "durability",
                                                 "sync_interval_ms",
                                                 "breaker_failure_threshold"};

Status bad(std::string_view key, std::string_view value, std::string_view expected) {
  return Status::invalid_argument(std::string(key) + ": '" + std::string(value) + "' is not " +
                                  std::string(expected));
}

template <typename Enum>
Status named(std::string_view key, std::string_view value, const std::map<std::string, Enum>& names,
             std::optional<Enum>* out) {
  auto it = names.find(std::string(value));
  if (it == names.end()) {
    std::string list;
    for (const auto& [name, v] : names) list += (list.empty() ? "" : ", ") + name;
    return bad(key, value, "one of " + list);
  }
  *out = it->second;
  return Status::ok();
}

template <typename T>
Status whole(std::string_view key, std::string_view value, std::optional<T>* out) {
  auto n = parse_decimal_u64(value);
  if (!n || *n > static_cast<std::uint64_t>(static_cast<T>(-1)))
    return bad(key, value, "a whole number in range");
  *out = static_cast<T>(*n);
  return Status::ok();
}

Status size(std::string_view key, std::string_view value, std::optional<std::uint64_t>* out) {
  auto n = parse_byte_size(value);
  if (!n) return bad(key, value, "a size (bytes, or with K, M, G, KiB, MiB, GiB, kB, MB, GB)");
  *out = *n;
  return Status::ok();
}

}  // namespace

std::vector<std::string> split_list(std::string_view text, char separator) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t end = text.find(separator, start);
    parts.emplace_back(
        text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

std::string lane_key_list() {
  std::string list;
  for (std::string_view key : kKeys) list += (list.empty() ? "" : ", ") + std::string(key);
  return list;
}

Status set_lane_key(LaneOptions* lane, std::string_view key, std::string_view value) {
  if (key == "route") {
    lane->route = split_list(value);
    return Status::ok();
  }
  if (key == "max_bytes") return size(key, value, &lane->max_bytes);
  if (key == "segment_bytes") return size(key, value, &lane->segment_bytes);
  if (key == "queue_bytes") return size(key, value, &lane->queue_bytes);
  if (key == "max_age_ms") return whole(key, value, &lane->max_age_ms);
  if (key == "full_policy") return named(key, value, full_policy_names(), &lane->full_policy);
  if (key == "disk_full_policy")
    return named(key, value, full_policy_names(), &lane->disk_full_policy);
  if (key == "policy") {  // both: the lane behaves the same whether its queue or its disk is full
    SPOOL_RETURN_IF_ERROR(named(key, value, full_policy_names(), &lane->full_policy));
    lane->disk_full_policy = lane->full_policy;
    return Status::ok();
  }
  if (key == "durability") return named(key, value, durability_names(), &lane->durability);
  if (key == "block_timeout_ms") return whole(key, value, &lane->block_timeout_ms);
  if (key == "sample_keep_one_in") return whole(key, value, &lane->sample_keep_one_in);
  if (key == "sync_interval_ms") return whole(key, value, &lane->sync_interval_ms);
  if (key == "breaker_failure_threshold")
    return whole(key, value, &lane->breaker_failure_threshold);
  if (key == "sample_above_fill") {
    double d = 0;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), d);
    if (ec != std::errc() || end != value.data() + value.size() || !(d > 0 && d <= 1)) {
      return bad(key, value, "a fraction in (0, 1]");
    }
    lane->sample_above_fill = d;
    return Status::ok();
  }
  return Status::invalid_argument("unknown lane key '" + std::string(key) + "' (a lane has " +
                                  lane_key_list() + ")");
}

Result<LaneOptions> parse_lane_spec(std::string_view spec) {
  const std::vector<std::string> parts = split_list(spec, ';');
  const std::size_t eq = parts.front().find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == parts.front().size()) {
    return Status::invalid_argument("lane '" + std::string(spec) +
                                    "' is not NAME=TERM[,TERM...][;KEY=VALUE...]");
  }
  LaneOptions lane;
  lane.name = parts.front().substr(0, eq);
  lane.route = split_list(std::string_view(parts.front()).substr(eq + 1));
  for (std::size_t i = 1; i < parts.size(); ++i) {
    const std::size_t at = parts[i].find('=');
    if (at == std::string::npos || at == 0) {
      return Status::invalid_argument("lane " + lane.name + ": '" + parts[i] +
                                      "' is not KEY=VALUE");
    }
    Status s = set_lane_key(&lane, std::string_view(parts[i]).substr(0, at),
                            std::string_view(parts[i]).substr(at + 1));
    if (!s) return Status::invalid_argument("lane " + lane.name + ": " + s.message());
  }
  return lane;
}

nlohmann::ordered_json lane_settings_json(const LaneOptions& lane) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  auto put = [&j](const char* key, const auto& field) {
    if (field) j[key] = *field;
  };
  put("max_bytes", lane.max_bytes);
  put("max_age_ms", lane.max_age_ms);
  put("segment_bytes", lane.segment_bytes);
  if (lane.full_policy) j["full_policy"] = name_of(full_policy_names(), *lane.full_policy);
  if (lane.disk_full_policy)
    j["disk_full_policy"] = name_of(full_policy_names(), *lane.disk_full_policy);
  put("queue_bytes", lane.queue_bytes);
  put("block_timeout_ms", lane.block_timeout_ms);
  put("sample_above_fill", lane.sample_above_fill);
  put("sample_keep_one_in", lane.sample_keep_one_in);
  if (lane.durability) j["durability"] = name_of(durability_names(), *lane.durability);
  put("sync_interval_ms", lane.sync_interval_ms);
  put("breaker_failure_threshold", lane.breaker_failure_threshold);
  return j;
}

}  // namespace spool::tools

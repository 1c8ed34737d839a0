#include "engine/produce/lane_record.h"

#include <errno.h>
#include <xxhash.h>

#include <algorithm>
#include <charconv>
#include <functional>
#include <vector>

#include "engine/produce/lane_settings.h"
#include "io/errno_status.h"
#include "io/file.h"
#include "io/hex.h"

namespace spool::engine {

namespace {

constexpr std::string_view kMagicLine = "spool-lane 1";

std::string decimal(double v) {
  char buf[32];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return ec == std::errc() ? std::string(buf, end) : "0";
}

template <typename Number>
bool parse_number(std::string_view s, Number* out) {
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return !s.empty() && ec == std::errc() && end == s.data() + s.size();
}

// One field of LaneOptions: how it is written, and how it is read back (false: bad value).
struct Field {
  std::string_view key;
  std::function<std::optional<std::string>(const LaneOptions&)> write;
  std::function<bool(LaneOptions*, std::string_view)> read;
};

template <typename Number>
Field number(std::string_view key, std::optional<Number> LaneOptions::*member) {
  return Field{key,
               [member](const LaneOptions& l) -> std::optional<std::string> {
                 if (!(l.*member)) return std::nullopt;
                 if constexpr (std::is_floating_point_v<Number>) return decimal(*(l.*member));
                 return std::to_string(*(l.*member));
               },
               [member](LaneOptions* l, std::string_view v) {
                 Number n{};
                 if (!parse_number(v, &n)) return false;
                 l->*member = n;
                 return true;
               }};
}

Field policy(std::string_view key, std::optional<FullPolicy> LaneOptions::*member) {
  return Field{key,
               [member](const LaneOptions& l) -> std::optional<std::string> {
                 if (!(l.*member)) return std::nullopt;
                 return std::string(full_policy_name(*(l.*member)));
               },
               [member](LaneOptions* l, std::string_view v) {
                 l->*member = full_policy_from_name(v);
                 return (l->*member).has_value();
               }};
}

// In the order the file lists them (lane_record.h).
const std::vector<Field>& fields() {
  static const auto* const table = new std::vector<Field>{
      number("max_bytes", &LaneOptions::max_bytes),
      number("max_age_ms", &LaneOptions::max_age_ms),
      number("segment_bytes", &LaneOptions::segment_bytes),
      policy("full_policy", &LaneOptions::full_policy),
      policy("disk_full_policy", &LaneOptions::disk_full_policy),
      number("queue_bytes", &LaneOptions::queue_bytes),
      number("block_timeout_ms", &LaneOptions::block_timeout_ms),
      number("sample_above_fill", &LaneOptions::sample_above_fill),
      number("sample_keep_one_in", &LaneOptions::sample_keep_one_in),
      Field{"durability",
            [](const LaneOptions& l) -> std::optional<std::string> {
              if (!l.durability) return std::nullopt;
              return std::string(durability_name(*l.durability));
            },
            [](LaneOptions* l, std::string_view v) {
              l->durability = durability_from_name(v);
              return l->durability.has_value();
            }},
      number("sync_interval_ms", &LaneOptions::sync_interval_ms),
      number("breaker_failure_threshold", &LaneOptions::breaker_failure_threshold),
  };
  return *table;
}

std::string joined(const std::vector<std::string>& terms) {
  std::string out;
  for (const std::string& t : terms) out += (out.empty() ? "" : ",") + t;
  return out;
}

std::vector<std::string> split_terms(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    const std::size_t comma = text.find(',');
    out.emplace_back(text.substr(0, comma));
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return out;
}

}  // namespace

std::string encode_lane_record(const LaneOptions& lane) {
  std::string s = std::string(kMagicLine) + "\n";
  s += "name " + lane.name + "\n";
  if (!lane.route.empty()) s += "route " + joined(lane.route) + "\n";
  for (const Field& f : fields()) {
    if (auto v = f.write(lane)) s += std::string(f.key) + " " + *v + "\n";
  }
  s += "checksum " + io::hex_u64(XXH3_64bits(s.data(), s.size())) + "\n";
  return s;
}

Result<LaneOptions> decode_lane_record(std::string_view text) {
  auto bad = [](const std::string& why) { return Status::corruption("not a lane record: " + why); };
  if (text.size() > kMaxLaneRecordBytes)
    return bad("larger than " + std::to_string(kMaxLaneRecordBytes) + " bytes");
  if (text.empty() || text.back() != '\n') return bad("its last line is not complete");
  // The checksum line is the last; it covers every byte before it.
  const std::size_t last = text.rfind('\n', text.size() - 2);
  const std::size_t covered = last == std::string_view::npos ? 0 : last + 1;
  const std::string_view checksum_line = text.substr(covered, text.size() - covered - 1);
  std::uint64_t checksum = 0;
  if (!checksum_line.starts_with("checksum ") ||
      !io::parse_hex_u64(checksum_line.substr(9), &checksum)) {
    return bad("no checksum line at its end");
  }
  if (checksum != XXH3_64bits(text.data(), covered)) return bad("checksum mismatch");

  std::string_view body = text.substr(0, covered);
  LaneOptions lane;
  bool first = true;
  while (!body.empty()) {
    const std::size_t end = body.find('\n');
    const std::string_view line = body.substr(0, end);
    body.remove_prefix(end + 1);
    if (first) {
      if (line != kMagicLine)
        return bad("it does not start with '" + std::string(kMagicLine) + "'");
      first = false;
      continue;
    }
    const std::size_t space = line.find(' ');
    if (space == std::string_view::npos)
      return bad("line '" + std::string(line) + "' is not KEY VALUE");
    const std::string_view key = line.substr(0, space);
    const std::string_view value = line.substr(space + 1);
    if (key == "name") {
      lane.name = std::string(value);
    } else if (key == "route") {
      lane.route = split_terms(value);
      // (The terms themselves are checked when the lanes are opened: LaneRoute::compile.)
      if (value.empty() || value.ends_with(',') ||
          std::find(lane.route.begin(), lane.route.end(), "") != lane.route.end()) {
        return bad("route '" + std::string(value) + "' has an empty term");
      }
    } else {
      for (const Field& f : fields()) {
        if (f.key == key && !f.read(&lane, value)) {
          return bad(std::string(key) + " '" + std::string(value) + "' is not a valid value");
        }
      }
      // A key no field has: a newer writer's, skipped.
    }
  }
  if (first) return bad("it is empty");
  if (!valid_lane_name(lane.name)) return bad("'" + lane.name + "' is not a lane name");
  return lane;
}

Result<std::optional<LaneOptions>> read_lane_record(const std::string& lane_dir) {
  const std::string path = lane_dir + "/" + std::string(kLaneRecordFile);
  std::string text;
  const int rc = io::read_small_file(path, &text, kMaxLaneRecordBytes);
  if (rc == -ENOENT) return std::optional<LaneOptions>();
  if (rc == -EFBIG) return Status::corruption(path + " is larger than a lane record may be");
  if (rc < 0) return io::errno_status(rc, "read lane record " + path);
  auto lane = decode_lane_record(text);
  if (!lane) return Status::corruption(path + ": " + lane.status().message());
  return std::optional<LaneOptions>(std::move(*lane));
}

Status write_lane_record(const std::string& lane_dir, const LaneOptions& lane, mode_t file_mode) {
  const std::string text = encode_lane_record(lane);
  const int rc =
      io::write_file_atomically(lane_dir, std::string(kLaneRecordFile), text.data(), text.size(),
                                /*durable=*/true, file_mode);
  if (rc < 0)
    return io::errno_status(rc,
                            "write lane record " + lane_dir + "/" + std::string(kLaneRecordFile));
  return Status::ok();
}

}  // namespace spool::engine

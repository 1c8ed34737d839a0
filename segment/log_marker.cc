#include "segment/log_marker.h"

#include <errno.h>
#include <xxhash.h>

#include <random>
#include <charconv>
#include <cstdio>

#include "io/clock.h"
#include "io/errno_status.h"
#include "io/file.h"
#include "io/hex.h"
#include "segment/segment_file.h"

namespace spool::segment {

namespace {

constexpr std::string_view kMagicLine = "spool-log 1";
constexpr mode_t kMaxMode = 0777;

std::string octal4(mode_t m) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(m));
  return buf;
}

// Reads "<key> <value>\n" from the front of `text`; the value without the key.
std::optional<std::string_view> take_line(std::string_view* text, std::string_view key) {
  const std::size_t end = text->find('\n');
  if (end == std::string_view::npos) return std::nullopt;
  std::string_view line = text->substr(0, end);
  text->remove_prefix(end + 1);
  if (!line.starts_with(key) || line.size() <= key.size() + 1 || line[key.size()] != ' ') return std::nullopt;
  return line.substr(key.size() + 1);
}

bool parse_decimal(std::string_view s, std::uint64_t* out) {
  if (s.empty() || s.size() > 20 || (s.size() > 1 && s[0] == '0')) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && end == s.data() + s.size();
}

bool parse_mode(std::string_view s, mode_t* out) {
  if (s.size() != 4) return false;
  unsigned v = 0;
  for (char c : s) {
    if (c < '0' || c > '7') return false;
    v = v * 8 + static_cast<unsigned>(c - '0');
  }
  if (v > kMaxMode) return false;
  *out = static_cast<mode_t>(v);
  return true;
}

}  // namespace

std::uint64_t LogMarker::new_log_id() {
  std::random_device rd;
  std::uint64_t id = 0;
  while (id == 0) id = (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
  return id;
}

LogMarker LogMarker::for_log(std::uint64_t log_id, const LogOptions& options) {
  LogMarker m;
  m.log_id = log_id;
  m.created_unix_ms = io::wall_clock_ns() / 1'000'000;
  m.segment_bytes = options.segment_bytes;
  m.retention_bytes = options.retention_bytes;
  m.retention_max_age_ms = options.retention_max_age_ms;
  m.file_mode = options.file_mode;
  m.dir_mode = options.dir_mode;
  return m;
}

std::string LogMarker::encode() const {
  std::string s;
  s += kMagicLine;
  s += "\nlog_id " + io::hex_u64(log_id);
  s += "\ncreated_unix_ms " + std::to_string(created_unix_ms < 0 ? 0 : created_unix_ms);
  s += "\nsegment_bytes " + std::to_string(segment_bytes);
  s += "\nretention_bytes " + std::to_string(retention_bytes);
  s += "\nretention_max_age_ms " + std::to_string(retention_max_age_ms);
  s += "\nfile_mode " + octal4(file_mode);
  s += "\ndir_mode " + octal4(dir_mode);
  s += "\n";
  s += "checksum " + io::hex_u64(XXH3_64bits(s.data(), s.size())) + "\n";
  return s;
}

Result<LogMarker> LogMarker::decode(std::string_view text) {
  auto bad = [](const std::string& why) { return Status::corruption("not a spool log marker: " + why); };
  if (text.size() > kMaxBytes) return bad("larger than " + std::to_string(kMaxBytes) + " bytes");
  const std::string_view all = text;
  if (!text.starts_with(std::string(kMagicLine) + "\n")) return bad("first line is not '" + std::string(kMagicLine) + "'");
  text.remove_prefix(kMagicLine.size() + 1);
  LogMarker m;
  std::uint64_t created = 0;
  auto v = take_line(&text, "log_id");
  if (!v || !io::parse_hex_u64(*v, &m.log_id) || m.log_id == 0) return bad("line 2 (log_id)");
  v = take_line(&text, "created_unix_ms");
  if (!v || !parse_decimal(*v, &created) || created > static_cast<std::uint64_t>(INT64_MAX)) {
    return bad("line 3 (created_unix_ms)");
  }
  m.created_unix_ms = static_cast<std::int64_t>(created);
  v = take_line(&text, "segment_bytes");
  if (!v || !parse_decimal(*v, &m.segment_bytes)) return bad("line 4 (segment_bytes)");
  v = take_line(&text, "retention_bytes");
  if (!v || !parse_decimal(*v, &m.retention_bytes)) return bad("line 5 (retention_bytes)");
  v = take_line(&text, "retention_max_age_ms");
  if (!v || !parse_decimal(*v, &m.retention_max_age_ms)) return bad("line 6 (retention_max_age_ms)");
  v = take_line(&text, "file_mode");
  if (!v || !parse_mode(*v, &m.file_mode)) return bad("line 7 (file_mode)");
  v = take_line(&text, "dir_mode");
  if (!v || !parse_mode(*v, &m.dir_mode)) return bad("line 8 (dir_mode)");
  const std::size_t covered = all.size() - text.size();
  std::uint64_t checksum = 0;
  v = take_line(&text, "checksum");
  if (!v || !io::parse_hex_u64(*v, &checksum)) return bad("line 9 (checksum)");
  if (!text.empty()) return bad("bytes after the checksum line");
  if (checksum != XXH3_64bits(all.data(), covered)) return bad("checksum mismatch");
  return m;
}

Result<std::optional<LogMarker>> LogMarker::read(const std::string& dir) {
  const std::string path = dir + "/" + kFileName;
  std::string text;
  const int rc = io::read_small_file(path, &text, kMaxBytes);
  if (rc == -ENOENT) return std::optional<LogMarker>();
  if (rc == -EFBIG) return Status::corruption(path + " is not a spool log marker: larger than " +
                                              std::to_string(kMaxBytes) + " bytes");
  if (rc < 0) return io::errno_status(rc, "read log marker " + path);
  auto m = decode(text);
  if (!m) return Status::corruption(path + ": " + m.status().message());
  return std::optional<LogMarker>(*m);
}

Status LogMarker::write(const std::string& dir) const {
  const std::string text = encode();
  const int rc = io::write_file_atomically(dir, kFileName, text.data(), text.size(), /*durable=*/true, file_mode);
  if (rc < 0) return io::errno_status(rc, "write log marker " + dir + "/" + kFileName);
  return Status::ok();
}

bool LogMarker::settings_differ(const LogOptions& o) const {
  return segment_bytes != o.segment_bytes || retention_bytes != o.retention_bytes ||
         retention_max_age_ms != o.retention_max_age_ms || file_mode != o.file_mode || dir_mode != o.dir_mode;
}

void LogMarker::apply_to(LogOptions* o) const {
  o->segment_bytes = segment_bytes;
  o->retention_bytes = retention_bytes;
  o->retention_max_age_ms = retention_max_age_ms;
  o->file_mode = file_mode;
  o->dir_mode = dir_mode;
  o->log_id = log_id;
}

Result<LogOptions> log_options_from_marker(const std::string& dir, LogOptions defaults) {
  auto marker = LogMarker::read(dir);
  if (!marker) return marker.status();
  if (marker->has_value()) (*marker)->apply_to(&defaults);
  return defaults;
}

}  // namespace spool::segment

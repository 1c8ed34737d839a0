#include "io/memory_info.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include <algorithm>
#include <charconv>
#include <limits>
#include <optional>
#include <string_view>
#include <utility>

#include "io/errno_status.h"
#include "io/file.h"

namespace spool::io {
namespace {

// procfs and cgroupfs report a size of 0 or 4096 whatever a file holds, so read_small_file
// (which trusts st_size) would read nothing; these are read to end of file instead. Every
// file read here is far smaller (meminfo and memory.stat hold about 1.5 KiB).
constexpr std::size_t kMaxKernelFileBytes = 16 * 1024;

// NotFound when the file does not exist (a cgroup without the memory controller has no
// memory.max, which is no error), IoError otherwise.
Result<std::string> read_kernel_file(const std::string& path) {
  const auto failed = [&path](int rc) { return io::errno_status(rc, path); };
  File f;
  if (int rc = File::open(path, O_RDONLY, 0, &f); rc < 0) return failed(rc);
  // One byte more than allowed, so a file too large is refused rather than cut short.
  std::string text(kMaxKernelFileBytes + 1, '\0');
  const ssize_t n = f.pread_full(text.data(), text.size(), 0);
  if (n < 0) return failed(static_cast<int>(n));
  if (static_cast<std::size_t>(n) > kMaxKernelFileBytes) return failed(-EFBIG);
  text.resize(static_cast<std::size_t>(n));
  return text;
}

// Calls fn(line) for each line of text, without its '\n'; stops early when fn returns true.
template <typename Fn>
void for_each_line(std::string_view text, Fn&& fn) {
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    const std::string_view line = text.substr(0, end);
    if (fn(line)) return;
    if (end == std::string_view::npos) return;
    text.remove_prefix(end + 1);
  }
}

std::string_view trim(std::string_view s) {
  constexpr std::string_view kSpace = " \t\n";
  const std::size_t first = s.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(kSpace) - first + 1);
}

// A plain decimal, nothing else (no sign, no suffix, no overflow).
std::optional<std::uint64_t> parse_u64(std::string_view s) {
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

// The start of unexpected content, quoted, so an error message shows it but stays short.
std::string quote(std::string_view s) {
  constexpr std::size_t kMax = 40;
  s = trim(s);
  std::string q(1, '\'');
  q.append(s.substr(0, kMax)).push_back('\'');
  if (s.size() > kMax) q += "...";
  return q;
}

// ---------------------------------------------------------------- cgroup v2

// The cgroup v2 entry of /proc/self/cgroup is "0::<path>"; v1 hierarchies have other ids.
std::optional<std::string_view> unified_cgroup_path(std::string_view text) {
  std::optional<std::string_view> path;
  for_each_line(text, [&](std::string_view line) {
    if (line.substr(0, 3) != "0::") return false;
    path = line.substr(3);
    return true;
  });
  return path;
}

// A process outside its cgroup namespace's root sees "/../..."; following that would leave
// the mount (and its levels are not this namespace's ancestors anyway).
bool is_plain_absolute(std::string_view path) {
  if (path.empty() || path.front() != '/') return false;
  for (std::size_t pos = 0; pos != std::string_view::npos;) {
    const std::size_t next = path.find('/', pos + 1);
    const std::string_view part = path.substr(pos + 1, next - pos - 1);
    if (part == "." || part == "..") return false;
    pos = next;
  }
  return true;
}

// The memory.stat field counted as free: "inactive_file <bytes>". Any trouble with the
// file counts as none reclaimable, which errs towards seeing pressure.
std::uint64_t inactive_file_bytes(const std::string& dir) {
  auto text = read_kernel_file(dir + "/memory.stat");
  if (!text) return 0;
  std::uint64_t bytes = 0;
  for_each_line(*text, [&](std::string_view line) {
    constexpr std::string_view kKey = "inactive_file ";
    if (line.substr(0, kKey.size()) != kKey) return false;
    bytes = parse_u64(trim(line.substr(kKey.size()))).value_or(0);
    return true;
  });
  return bytes;
}

// One level of the hierarchy: nullopt when it sets no limit ("max" or no memory.max).
Result<std::optional<MemorySnapshot>> read_cgroup_level(const std::string& dir) {
  const std::string max_path = dir + "/memory.max";
  auto max_text = read_kernel_file(max_path);
  if (!max_text) {
    if (max_text.status().code() == StatusCode::kNotFound) return std::optional<MemorySnapshot>();
    return max_text.status();
  }
  if (trim(*max_text) == "max") return std::optional<MemorySnapshot>();
  const auto limit = parse_u64(trim(*max_text));
  if (!limit)
    return Status::corruption(max_path + ": not a byte count or 'max': " + quote(*max_text));

  const std::string current_path = dir + "/memory.current";
  auto current_text = read_kernel_file(current_path);
  if (!current_text) return current_text.status();
  const auto current = parse_u64(trim(*current_text));
  if (!current)
    return Status::corruption(current_path + ": not a byte count: " + quote(*current_text));

  const std::uint64_t reclaimable = inactive_file_bytes(dir);
  MemorySnapshot s;
  s.limit_bytes = *limit;
  s.used_bytes = *current > reclaimable ? *current - reclaimable : 0;
  s.available_bytes = s.limit_bytes > s.used_bytes ? s.limit_bytes - s.used_bytes : 0;
  s.from_cgroup = true;
  return std::optional<MemorySnapshot>(s);
}

Result<MemorySnapshot> read_cgroup(const MemoryPaths& paths) {
  const std::string self_path = paths.proc_root + "/self/cgroup";
  auto self = read_kernel_file(self_path);
  if (!self) return self.status();
  const auto cgroup = unified_cgroup_path(*self);
  if (!cgroup) return Status::not_found(self_path + ": no cgroup v2 entry ('0::/path')");
  if (!is_plain_absolute(*cgroup)) {
    return Status::not_found(self_path +
                             ": cgroup v2 path outside this namespace: " + quote(*cgroup));
  }

  // From the process's own cgroup up to the root ("" below), keeping the least room left.
  std::string level(*cgroup);
  while (!level.empty() && level.back() == '/') level.pop_back();
  std::optional<MemorySnapshot> tightest;
  for (;;) {
    auto at = read_cgroup_level(paths.cgroup_root + level);
    if (!at) return at.status();
    const std::optional<MemorySnapshot>& s = *at;
    if (s && (!tightest || s->available_bytes < tightest->available_bytes ||
              (s->available_bytes == tightest->available_bytes &&
               s->limit_bytes < tightest->limit_bytes))) {
      tightest = s;
    }
    if (level.empty()) break;
    level.resize(level.rfind('/'));
  }
  if (!tightest) {
    return Status::not_found("no cgroup v2 memory limit on " + std::string(*cgroup) +
                             " or its ancestors under " + paths.cgroup_root);
  }
  return *tightest;
}

// ---------------------------------------------------------------- /proc/meminfo

// "MemTotal:       24682416 kB" -> bytes.
std::optional<std::uint64_t> parse_meminfo_value(std::string_view value) {
  value = trim(value);
  std::uint64_t scale = 1;
  if (value.size() >= 3 && value.substr(value.size() - 3) == " kB") {
    value = trim(value.substr(0, value.size() - 3));
    scale = 1024;
  }
  const auto n = parse_u64(value);
  if (!n || *n > std::numeric_limits<std::uint64_t>::max() / scale) return std::nullopt;
  return *n * scale;
}

Result<MemorySnapshot> read_meminfo(const MemoryPaths& paths) {
  const std::string path = paths.proc_root + "/meminfo";
  auto text = read_kernel_file(path);
  if (!text) return text.status();
  std::optional<std::uint64_t> total, available;
  std::string bad;
  for_each_line(*text, [&](std::string_view line) {
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) return false;
    const std::string_view key = line.substr(0, colon);
    std::optional<std::uint64_t>* field = key == "MemTotal" ? &total : nullptr;
    if (key == "MemAvailable") field = &available;
    if (field == nullptr) return false;
    *field = parse_meminfo_value(line.substr(colon + 1));
    if (!*field) bad = quote(line);
    return !bad.empty() || (total && available);
  });
  if (!bad.empty()) return Status::corruption(path + ": malformed line " + bad);
  // MemAvailable exists since Linux 3.14; without it there is no honest estimate.
  if (!total || !available) {
    return Status::corruption(path + ": no " + (total ? "MemAvailable" : "MemTotal") + " line");
  }
  MemorySnapshot s;
  s.limit_bytes = *total;
  s.available_bytes = std::min(*available, *total);
  s.used_bytes = s.limit_bytes - s.available_bytes;
  s.from_cgroup = false;
  return s;
}

}  // namespace

Result<MemorySnapshot> read_memory_snapshot(const MemoryPaths& paths) {
  auto cgroup = read_cgroup(paths);
  if (cgroup) return cgroup;
  auto meminfo = read_meminfo(paths);
  if (meminfo) return meminfo;
  return Status::unavailable("cannot tell how much memory is available: " +
                             cgroup.status().message() + "; " + meminfo.status().message());
}

}  // namespace spool::io

// spoold's config file: TOML, read through the key table (spoold_config_keys.h); [[sink]],
// [resource] and [buffer] here. Unknown keys are errors, and every error names the file and
// the key ("config file /etc/spoold.toml: sink[1].url: expected a string, got integer").
#include <fcntl.h>
#include <toml++/toml.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <sstream>

#include "tools/cli_numbers.h"
#include "tools/lane_spec.h"
#include "tools/spoold/spoold_config_loader.h"

namespace spool::tools::config_loading {
namespace {

const char* toml_type_name(toml::node_type type) {
  switch (type) {
    case toml::node_type::string:
      return "string";
    case toml::node_type::integer:
      return "integer";
    case toml::node_type::floating_point:
      return "float";
    case toml::node_type::boolean:
      return "boolean";
    case toml::node_type::table:
      return "table";
    case toml::node_type::array:
      return "array";
    case toml::node_type::date:
      return "date";
    case toml::node_type::time:
      return "time";
    case toml::node_type::date_time:
      return "date-time";
    default:
      return "nothing";
  }
}

// A string, integer, float or boolean as text ([resource], [buffer] values).
std::optional<std::string> scalar_text(const toml::node& node) {
  if (auto s = node.value_exact<std::string>()) return *s;
  if (auto i = node.value_exact<std::int64_t>()) return std::to_string(*i);
  if (auto b = node.value_exact<bool>()) return *b ? "true" : "false";
  if (auto d = node.value_exact<double>()) {
    std::ostringstream out;
    out << *d;
    return out.str();
  }
  return std::nullopt;
}

}  // namespace

Result<std::string> read_small_file(const std::string& path, std::size_t max_bytes,
                                    struct stat* st) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return Status::invalid_argument(std::string("cannot be read: ") + std::strerror(errno));
  std::string text;
  Status status = Status::ok();
  if (::fstat(fd, st) != 0) {
    status = Status::invalid_argument(std::string("cannot be read: ") + std::strerror(errno));
  } else if (!S_ISREG(st->st_mode)) {
    status = Status::invalid_argument("is not a regular file");
  } else if (static_cast<std::uint64_t>(st->st_size) > max_bytes) {
    status = Status::invalid_argument("is larger than " + std::to_string(max_bytes) + " bytes");
  } else {
    char buf[8192];
    while (true) {
      const ssize_t n = ::read(fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        status = Status::invalid_argument(std::string("cannot be read: ") + std::strerror(errno));
        break;
      }
      if (n == 0) break;
      text.append(buf, static_cast<std::size_t>(n));
      if (text.size() > max_bytes) {
        status = Status::invalid_argument("is larger than " + std::to_string(max_bytes) + " bytes");
        break;
      }
    }
  }
  ::close(fd);
  if (!status.is_ok()) return status;
  return text;
}

namespace {

// A [[sink]] size: an integer number of bytes or a string such as "1MiB".
Result<std::uint64_t> sink_size(const toml::node& node, const std::string& at) {
  if (auto i = node.value_exact<std::int64_t>()) {
    if (*i < 0) return error(at, "expected a non-negative size, got " + std::to_string(*i));
    return static_cast<std::uint64_t>(*i);
  }
  if (auto text = node.value_exact<std::string>()) {
    if (auto value = parse_byte_size(*text)) return *value;
    return error(
        at,
        "'" + *text +
            "' is not a size (a number of bytes, optionally with K, M or G: powers of 1024, or kB, "
            "MB, GB: powers of 1000)");
  }
  return error(at,
               std::string("expected an integer or a string, got ") + toml_type_name(node.type()));
}

// A list given as an array of strings or as one comma-separated string.
Result<std::vector<std::string>> string_list(const toml::node& node, const std::string& at) {
  if (auto text = node.value_exact<std::string>()) return split_list(*text);
  std::vector<std::string> out;
  const toml::array* items = node.as_array();
  if (items == nullptr) {
    return error(at, std::string("expected an array of strings or a string, got ") +
                         toml_type_name(node.type()));
  }
  for (std::size_t i = 0; i < items->size(); ++i) {
    auto text = items->get(i)->value_exact<std::string>();
    if (!text) {
      return error(at + "[" + std::to_string(i) + "]",
                   std::string("expected a string, got ") + toml_type_name(items->get(i)->type()));
    }
    out.push_back(*text);
  }
  return out;
}

// A [[lane]] table: name, route (an array of terms or a comma-separated string) and the keys
// of tools/lane_spec.h (strings or numbers).
Status load_lane_table(const toml::table& table, const std::string& where, LaneOptions* lane) {
  for (auto&& [k, node] : table) {
    const std::string key(k.str());
    const std::string at = where + "." + key;
    if (key == "name") {
      auto text = node.value_exact<std::string>();
      if (!text)
        return error(at, std::string("expected a string, got ") + toml_type_name(node.type()));
      lane->name = *text;
      continue;
    }
    if (key == "route") {
      auto terms = string_list(node, at);
      if (!terms) return terms.status();
      lane->route = std::move(*terms);
      continue;
    }
    auto text = scalar_text(node);
    if (!text)
      return error(
          at, std::string("expected a string or a number, got ") + toml_type_name(node.type()));
    Status s = set_lane_key(lane, key, *text);
    if (!s) return error(at, s.message());
  }
  if (lane->name.empty()) return error(where, "name is missing");
  if (lane->route.empty()) return error(where, "route is missing");
  return Status::ok();
}

Status load_sink_table(const toml::table& table, const std::string& where, SinkConfig* sink) {
  static constexpr std::string_view kSinkKeys[] = {
      "url",          "cursor",           "headers", "compression", "encoding",        "order",
      "min_priority", "min_severity",     "select",  "redact",      "redact_key_file", "rate_limit",
      "daily_cap",    "critical_reserve", "lanes"};
  for (auto&& [k, node] : table) {
    const std::string key(k.str());
    const std::string at = where + "." + key;
    if (key == "lanes") {
      auto names = string_list(node, at);
      if (!names) return names.status();
      sink->lanes = std::move(*names);
      continue;
    }
    if (key == "redact") {
      // A list of rule lists ("input", "output:hash"), or one string.
      if (auto text = node.value_exact<std::string>()) {
        sink->redact.push_back(*text);
        continue;
      }
      const toml::array* items = node.as_array();
      if (items == nullptr)
        return error(
            at, std::string("expected an array of strings, got ") + toml_type_name(node.type()));
      for (std::size_t i = 0; i < items->size(); ++i) {
        auto text = items->get(i)->value_exact<std::string>();
        if (!text) {
          return error(
              at + "[" + std::to_string(i) + "]",
              std::string("expected a string, got ") + toml_type_name(items->get(i)->type()));
        }
        sink->redact.push_back(*text);
      }
      continue;
    }
    if (key == "rate_limit" || key == "daily_cap" || key == "critical_reserve") {
      auto size = sink_size(node, at);
      if (!size) return size.status();
      BandwidthOptions& b = sink->bandwidth;
      std::uint64_t* field = key == "rate_limit"  ? &b.rate_limit_bytes_per_s
                             : key == "daily_cap" ? &b.daily_cap_bytes
                                                  : &b.critical_reserve_bytes;
      *field = *size;
      continue;
    }
    if (key == "headers") {
      const toml::table* headers = node.as_table();
      if (headers == nullptr)
        return error(at, std::string("expected a table, got ") + toml_type_name(node.type()));
      for (auto&& [name, value] : *headers) {
        auto text = value.value_exact<std::string>();
        if (!text) {
          return error(at + "." + std::string(name.str()),
                       std::string("expected a string, got ") + toml_type_name(value.type()));
        }
        sink->headers.emplace_back(std::string(name.str()), *text);
      }
      continue;
    }
    if (std::find(std::begin(kSinkKeys), std::end(kSinkKeys), key) == std::end(kSinkKeys)) {
      return error(at, "unknown key (a sink has " + key_list(kSinkKeys) + ")");
    }
    auto text = node.value_exact<std::string>();
    if (!text)
      return error(at, std::string("expected a string, got ") + toml_type_name(node.type()));
    if (key == "url")
      sink->url = *text;
    else if (key == "cursor")
      sink->cursor = *text;
    else if (key == "encoding")
      sink->encoding = *text;
    else if (key == "order")
      sink->order = *text;
    else if (key == "min_priority")
      sink->min_priority = *text;
    else if (key == "min_severity")
      sink->min_severity = *text;
    else if (key == "select")
      sink->select = *text;
    else if (key == "redact_key_file")
      sink->redact_key_file = *text;
    else
      sink->compression = *text;
  }
  if (sink->url.empty()) return error(where, "url is missing");
  return Status::ok();
}

}  // namespace

Status ConfigLoader::load_file(const std::string& path, const std::string& path_where) {
  file_ = "config file " + path;
  struct stat st;
  auto text = read_small_file(path, 1 << 20, &st);
  if (!text) return error(path_where + " " + path, text.status().message());
  toml::table root;
  try {
    root = toml::parse(*text, path);
  } catch (const toml::parse_error& e) {
    return error(file_, "line " + std::to_string(e.source().begin.line) + ", column " +
                            std::to_string(e.source().begin.column) + ": " +
                            std::string(e.description()));
  }
  for (auto&& [k, node] : root) {
    const std::string key(k.str());
    const std::string where = file_ + ": " + key;
    if (key == "sink") {
      const toml::array* sinks = node.as_array();
      // `sink = []` says "no sinks" (an empty array is of no type in toml++).
      if (sinks == nullptr || (!sinks->empty() && !sinks->is_array_of_tables())) {
        return error(where, std::string("expected an array of tables ([[sink]]), got ") +
                                toml_type_name(node.type()));
      }
      config_->sinks.clear();
      sink_where_.clear();
      for (std::size_t i = 0; i < sinks->size(); ++i) {
        const std::string at = file_ + ": sink[" + std::to_string(i) + "]";
        SinkConfig sink;
        SPOOL_RETURN_IF_ERROR(load_sink_table(*sinks->get(i)->as_table(), at, &sink));
        config_->sinks.push_back(std::move(sink));
        sink_where_.push_back(at);
      }
      continue;
    }
    if (key == "lane") {
      const toml::array* lanes = node.as_array();
      if (lanes == nullptr || (!lanes->empty() && !lanes->is_array_of_tables())) {
        return error(where, std::string("expected an array of tables ([[lane]]), got ") +
                                toml_type_name(node.type()));
      }
      config_->lanes.clear();
      for (std::size_t i = 0; i < lanes->size(); ++i) {
        LaneOptions lane;
        SPOOL_RETURN_IF_ERROR(load_lane_table(*lanes->get(i)->as_table(),
                                              file_ + ": lane[" + std::to_string(i) + "]", &lane));
        config_->lanes.push_back(std::move(lane));
      }
      continue;
    }
    if (key == "resource" || key == "buffer") {
      const toml::table* table = node.as_table();
      if (table == nullptr)
        return error(where, std::string("expected a table, got ") + toml_type_name(node.type()));
      for (auto&& [name, value] : *table) {
        const std::string at = where + "." + std::string(name.str());
        auto text = scalar_text(value);
        if (!text) {
          return error(at, std::string("expected a string, number or boolean, got ") +
                               toml_type_name(value.type()));
        }
        if (key == "resource") {
          set_resource_attribute(std::string(name.str()), *text, at, kFile);
        } else {
          SPOOL_RETURN_IF_ERROR(set_buffer_option(std::string(name.str()), *text, where));
        }
      }
      continue;
    }
    const ConfigKey* found = nullptr;
    for (const ConfigKey& c : config_keys()) {
      if (!c.file_key.empty() && c.file_key == key) found = &c;
    }
    if (found == nullptr) return error(where, "unknown key");
    std::string value;
    if (auto s = node.value_exact<std::string>();
        s && found->file_type != FileValueType::kInteger) {
      value = *s;
    } else if (auto i = node.value_exact<std::int64_t>();
               i && found->file_type != FileValueType::kString) {
      if (*i < 0) return error(where, "expected a non-negative integer, got " + std::to_string(*i));
      value = std::to_string(*i);
    } else {
      const char* expected = found->file_type == FileValueType::kString ? "a string"
                             : found->file_type == FileValueType::kInteger
                                 ? "an integer"
                                 : "an integer or a string";
      return error(where,
                   std::string("expected ") + expected + ", got " + toml_type_name(node.type()));
    }
    SPOOL_RETURN_IF_ERROR(set(*found, value, where, kFile));
  }
  return Status::ok();
}

}  // namespace spool::tools::config_loading

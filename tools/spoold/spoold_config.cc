// load_spoold_config: the sources in order (defaults < config file < environment < command
// line), each read through the key table (spoold_config_keys.h) or, for the list and table
// keys, here; then the checks that need the merged result.
#include "tools/spoold/spoold_config.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <sstream>
#include <toml++/toml.h>

#include "engine/forward/secret_redaction.h"
#include "engine/sinks/otlp/http_header_sources.h"
#include "segment/cursor_store.h"
#include "tools/spoold/spoold_config_keys.h"

namespace spool::tools {
namespace {

// Ranks of the sources: a value set by a source of a higher rank is not replaced by a lower one.
enum Rank : int { kDefaults = 0, kFile = 1, kEnvironment = 2, kCommandLine = 3 };

constexpr std::size_t kMaxTokenFileBytes = 64 * 1024;
constexpr std::string_view kOtelEndpoint = "OTEL_EXPORTER_OTLP_ENDPOINT";
constexpr std::string_view kOtelHeaders = "OTEL_EXPORTER_OTLP_HEADERS";
constexpr std::string_view kOtelCompression = "OTEL_EXPORTER_OTLP_COMPRESSION";
constexpr std::string_view kOtelResource = "OTEL_RESOURCE_ATTRIBUTES";

Status error(const std::string& where, const std::string& what) { return Status::invalid_argument(where + ": " + what); }

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool percent_decode(std::string_view in, std::string* out) {
  out->clear();
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out->push_back(in[i]);
      continue;
    }
    if (i + 2 >= in.size()) return false;
    const int hi = hex_value(in[i + 1]), lo = hex_value(in[i + 2]);
    if (hi < 0 || lo < 0) return false;
    out->push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return true;
}

// OTEL_RESOURCE_ATTRIBUTES: "k=v,k2=v2" (W3C Baggage without properties), blanks trimmed,
// keys and values percent-decoded, empty entries skipped.
Result<std::vector<std::pair<std::string, std::string>>> parse_otel_key_values(std::string_view text,
                                                                               const std::string& where) {
  std::vector<std::pair<std::string, std::string>> out;
  std::size_t entry = 0;
  while (true) {
    const std::size_t comma = text.find(',');
    const std::string_view item = trim(text.substr(0, comma));
    ++entry;
    if (!item.empty()) {
      const std::string at = where + " entry " + std::to_string(entry);
      const std::size_t eq = item.find('=');
      if (eq == std::string_view::npos) return error(at, "expected key=value (no '=' found)");
      std::string key, value;
      if (!percent_decode(trim(item.substr(0, eq)), &key) || !percent_decode(trim(item.substr(eq + 1)), &value)) {
        return error(at, "bad percent-encoding ('%' must be followed by two hex digits)");
      }
      if (key.empty()) return error(at, "the key is empty");
      out.emplace_back(std::move(key), std::move(value));
    }
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return out;
}

std::string key_list(std::span<const std::string_view> names) {
  std::string list;
  for (std::string_view name : names) list += (list.empty() ? "" : ", ") + std::string(name);
  return list;
}

const char* toml_type_name(toml::node_type type) {
  switch (type) {
    case toml::node_type::string: return "string";
    case toml::node_type::integer: return "integer";
    case toml::node_type::floating_point: return "float";
    case toml::node_type::boolean: return "boolean";
    case toml::node_type::table: return "table";
    case toml::node_type::array: return "array";
    case toml::node_type::date: return "date";
    case toml::node_type::time: return "time";
    case toml::node_type::date_time: return "date-time";
    default: return "nothing";
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

Result<std::string> read_small_file(const std::string& path, std::size_t max_bytes, struct stat* st) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::invalid_argument(std::string("cannot be read: ") + std::strerror(errno));
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

// What the command line asked for, before any source is applied.
struct Arguments {
  std::vector<std::pair<const ConfigKey*, std::string>> values;  // in order
  std::vector<std::string> to;
  std::vector<std::string> resource;  // KEY=VALUE
  std::vector<std::string> buffer;    // NAME=VALUE
  std::optional<std::string> config_file;
  std::optional<std::string> dir;
  bool help = false, version = false, print_config = false;
};

constexpr std::string_view kUsage = "usage: spoold [flags] DIR";

std::string help_text() {
  std::string text(kUsage);
  text +=
      "\n\nThe spool agent: holds the writer role of the log in DIR, receives OTLP/HTTP, forwards "
      "to its sinks,\nand serves /metrics and /healthz. Each flag's environment variable and "
      "config file key are in [].\nPrecedence: defaults < config file < environment < flags.\n\n";
  auto line = [&text](std::string left, std::string_view help, std::string sources) {
    if (left.size() < 30) left.resize(30, ' ');
    else left += "\n" + std::string(30, ' ');
    text += "  " + left + std::string(help) + (sources.empty() ? "" : " [" + sources + "]") + "\n";
  };
  line("--config FILE", "TOML config file", "SPOOL_CONFIG");
  for (const ConfigKey& key : config_keys()) {
    std::string sources;
    if (!key.env.empty()) sources += std::string(key.env);
    if (!key.file_key.empty()) sources += (sources.empty() ? "" : ", ") + std::string(key.file_key);
    if (key.flag.empty()) {
      if (key.file_key == "dir") line("DIR", key.help, sources);
      else line(std::string(key.env), key.help, "");
      continue;
    }
    line(std::string(key.flag) + " " + std::string(key.metavar), key.help, sources);
  }
  line("--to URL", "a sink (repeatable): http(s)://HOST:PORT[/prefix], file:PATH, jsonl:PATH",
       "OTEL_EXPORTER_OTLP_ENDPOINT (+ _HEADERS, _COMPRESSION), [[sink]]");
  line("--resource-attribute K=V", "an OTLP resource attribute (repeatable)", "OTEL_RESOURCE_ATTRIBUTES, [resource]");
  std::string buffer_keys;
  for (const std::string& name : buffer_option_keys()) buffer_keys += (buffer_keys.empty() ? "" : ", ") + name;
  line("--buffer NAME=VALUE", "a Buffer option (repeatable): " + buffer_keys, "[buffer]");
  line("--print-config", "print the effective configuration as JSON (secrets masked) and exit", "");
  line("--help, -h", "this text", "");
  line("--version", "the version", "");
  return text;
}

Status parse_arguments(int argc, const char* const* argv, Arguments* args) {
  bool flags_done = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (flags_done || !arg.starts_with("-") || arg == "-") {
      if (args->dir) {
        return Status::invalid_argument("unexpected argument '" + std::string(arg) + "' (DIR is already '" +
                                        *args->dir + "'; " + std::string(kUsage) + ")");
      }
      args->dir = std::string(arg);
      continue;
    }
    if (arg == "--") {
      flags_done = true;
      continue;
    }
    if (arg == "--help" || arg == "-h") { args->help = true; continue; }
    if (arg == "--version") { args->version = true; continue; }
    if (arg == "--print-config") { args->print_config = true; continue; }
    std::string_view name = arg;
    std::optional<std::string> value;
    if (const std::size_t eq = arg.find('='); eq != std::string_view::npos) {
      name = arg.substr(0, eq);
      value = std::string(arg.substr(eq + 1));
    }
    const ConfigKey* key = nullptr;
    for (const ConfigKey& k : config_keys()) {
      if (!k.flag.empty() && k.flag == name) key = &k;
    }
    const bool known = key != nullptr || name == "--config" || name == "--to" || name == "--resource-attribute" ||
                       name == "--buffer";
    if (!known) return Status::invalid_argument("unknown option " + std::string(name) + " (see --help)");
    if (!value) {
      if (i + 1 >= argc) return error(std::string(name), "needs a value");
      value = argv[++i];
    }
    if (key != nullptr) args->values.emplace_back(key, std::move(*value));
    else if (name == "--config") args->config_file = std::move(*value);
    else if (name == "--to") args->to.push_back(std::move(*value));
    else if (name == "--resource-attribute") args->resource.push_back(std::move(*value));
    else args->buffer.push_back(std::move(*value));
  }
  return Status::ok();
}

// Applies the sources to one SpooldCommandLine, remembering where each value came from so
// that the final checks can name it.
class ConfigLoader {
 public:
  explicit ConfigLoader(SpooldCommandLine* out) : out_(out), config_(&out->config) {}

  Status set(const ConfigKey& key, std::string_view text, const std::string& where, int rank) {
    Status status = key.set(config_, text);
    if (!status.is_ok()) return error(where, status.message());
    const std::string_view name = key.file_key.empty() ? key.env : key.file_key;
    origin_[std::string(name)] = {where, rank};
    if (name == "token_file") origin_.erase("SPOOL_OTLP_TOKEN");
    if (name == "SPOOL_OTLP_TOKEN") origin_.erase("token_file");
    return Status::ok();
  }

  // A resource attribute; service.name and device.id go to their own keys unless a source
  // that ranks higher already set those (OTEL_SERVICE_NAME wins over OTEL_RESOURCE_ATTRIBUTES'
  // service.name, as the OpenTelemetry SDKs have it).
  void set_resource_attribute(std::string key, std::string value, const std::string& where, int rank) {
    for (auto [attribute, field] : {std::pair{"service.name", "service_name"}, std::pair{"device.id", "device_id"}}) {
      if (key != attribute) continue;
      if (rank >= rank_of(field)) {
        (key == "service.name" ? config_->service_name : config_->device_id) = value;
        origin_[field] = {where, rank};
      }
      return;
    }
    auto& attributes = config_->resource_attributes;
    std::erase_if(attributes, [&](const auto& a) { return a.first == key; });
    attributes.emplace_back(std::move(key), std::move(value));
  }

  Status set_buffer_option(const std::string& name, const std::string& value, const std::string& where) {
    Options scratch;
    Status status = apply_buffer_options({{name, value}}, &scratch);
    if (!status.is_ok()) return error(where, status.message());
    config_->buffer_options[name] = value;
    return Status::ok();
  }

  Status load_file(const std::string& path, const std::string& path_where);
  Status load_environment(const std::map<std::string, std::string, std::less<>>& env);
  Status load_arguments(const Arguments& args);
  Status finish();

 private:
  struct Origin {
    std::string where;
    int rank = kDefaults;
  };
  int rank_of(const std::string& name) const {
    auto it = origin_.find(name);
    return it == origin_.end() ? kDefaults : it->second.rank;
  }
  std::string where_of(const std::string& name, std::string_view fallback) const {
    auto it = origin_.find(name);
    return it == origin_.end() ? std::string(fallback) : it->second.where;
  }
  Status load_sink_table(const toml::table& table, const std::string& where, SinkConfig* sink);
  Status finish_sinks();
  Status read_token_file();

  SpooldCommandLine* out_;
  SpooldConfig* config_;
  std::map<std::string, Origin> origin_;
  std::string file_;  // "config file PATH", or empty
  std::vector<std::string> sink_where_;  // per sink: where it was given
};

Status ConfigLoader::load_sink_table(const toml::table& table, const std::string& where, SinkConfig* sink) {
  static constexpr std::string_view kSinkKeys[] = {"url", "cursor", "headers", "compression"};
  for (auto&& [k, node] : table) {
    const std::string key(k.str());
    const std::string at = where + "." + key;
    if (key == "headers") {
      const toml::table* headers = node.as_table();
      if (headers == nullptr) return error(at, std::string("expected a table, got ") + toml_type_name(node.type()));
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
    if (!text) return error(at, std::string("expected a string, got ") + toml_type_name(node.type()));
    if (key == "url") sink->url = *text;
    else if (key == "cursor") sink->cursor = *text;
    else sink->compression = *text;
  }
  if (sink->url.empty()) return error(where, "url is missing");
  return Status::ok();
}

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
                            std::to_string(e.source().begin.column) + ": " + std::string(e.description()));
  }
  for (auto&& [k, node] : root) {
    const std::string key(k.str());
    const std::string where = file_ + ": " + key;
    if (key == "sink") {
      const toml::array* sinks = node.as_array();
      if (sinks == nullptr || !sinks->is_array_of_tables()) {
        return error(where, std::string("expected an array of tables ([[sink]]), got ") + toml_type_name(node.type()));
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
    if (key == "resource" || key == "buffer") {
      const toml::table* table = node.as_table();
      if (table == nullptr) return error(where, std::string("expected a table, got ") + toml_type_name(node.type()));
      for (auto&& [name, value] : *table) {
        const std::string at = where + "." + std::string(name.str());
        auto text = scalar_text(value);
        if (!text) {
          return error(at, std::string("expected a string, number or boolean, got ") + toml_type_name(value.type()));
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
    if (auto s = node.value_exact<std::string>(); s && found->file_type != FileValueType::kInteger) {
      value = *s;
    } else if (auto i = node.value_exact<std::int64_t>(); i && found->file_type != FileValueType::kString) {
      if (*i < 0) return error(where, "expected a non-negative integer, got " + std::to_string(*i));
      value = std::to_string(*i);
    } else {
      const char* expected = found->file_type == FileValueType::kString    ? "a string"
                             : found->file_type == FileValueType::kInteger ? "an integer"
                                                                          : "an integer or a string";
      return error(where, std::string("expected ") + expected + ", got " + toml_type_name(node.type()));
    }
    SPOOL_RETURN_IF_ERROR(set(*found, value, where, kFile));
  }
  return Status::ok();
}

Status ConfigLoader::load_environment(const std::map<std::string, std::string, std::less<>>& env) {
  // OTEL_RESOURCE_ATTRIBUTES before the keys, so OTEL_SERVICE_NAME wins over its service.name.
  if (auto it = env.find(kOtelResource); it != env.end()) {
    const std::string where = "environment " + std::string(kOtelResource);
    auto attributes = parse_otel_key_values(it->second, where);
    if (!attributes) return attributes.status();
    for (auto& [key, value] : *attributes) set_resource_attribute(key, value, where, kEnvironment);
  }
  for (const ConfigKey& key : config_keys()) {
    if (key.env.empty()) continue;
    auto it = env.find(key.env);
    if (it == env.end()) continue;
    SPOOL_RETURN_IF_ERROR(set(key, it->second, "environment " + std::string(key.env), kEnvironment));
  }
  if (auto it = env.find(kOtelEndpoint); it != env.end()) {
    // The OpenTelemetry exporter's base URL: the OTLP sink appends /v1/traces, /v1/logs and
    // /v1/metrics to its endpoint exactly as the specification says of this variable, so
    // it is the sink's URL unchanged.
    config_->sinks = {SinkConfig{.url = it->second}};
    sink_where_ = {"environment " + std::string(kOtelEndpoint)};
  }
  return Status::ok();
}

Status ConfigLoader::load_arguments(const Arguments& args) {
  for (const auto& value : args.resource) {
    const std::size_t eq = value.find('=');
    if (eq == std::string::npos || eq == 0) {
      return error("--resource-attribute", "'" + value + "' is not KEY=VALUE");
    }
    set_resource_attribute(value.substr(0, eq), value.substr(eq + 1), "--resource-attribute", kCommandLine);
  }
  for (const auto& value : args.buffer) {
    const std::size_t eq = value.find('=');
    if (eq == std::string::npos || eq == 0) return error("--buffer", "'" + value + "' is not NAME=VALUE");
    SPOOL_RETURN_IF_ERROR(set_buffer_option(value.substr(0, eq), value.substr(eq + 1), "--buffer"));
  }
  for (const auto& [key, value] : args.values) {
    SPOOL_RETURN_IF_ERROR(set(*key, value, std::string(key->flag), kCommandLine));
  }
  if (args.dir) {
    for (const ConfigKey& key : config_keys()) {
      if (key.file_key == "dir") SPOOL_RETURN_IF_ERROR(set(key, *args.dir, "DIR", kCommandLine));
    }
  }
  if (!args.to.empty()) {
    config_->sinks.clear();
    sink_where_.clear();
    for (const auto& url : args.to) {
      config_->sinks.push_back(SinkConfig{.url = url});
      sink_where_.push_back("--to");
    }
  }
  return Status::ok();
}

// The URL forms engine::make_sink_for_url accepts (it has no parse-only entry, and building
// a sink to check its URL would open files and connections): http(s)://HOST..., file:PATH,
// jsonl:PATH. The OTLP sink checks the rest of an http(s) URL when spoold starts it.
Status validate_sink_url(const std::string& url) {
  const std::string shown = "'" + engine::redact_secrets(url) + "'";
  for (std::string_view scheme : {"http://", "https://"}) {
    if (!url.starts_with(scheme)) continue;
    const std::string_view rest = std::string_view(url).substr(scheme.size());
    if (rest.empty() || rest.front() == '/' || rest.front() == ':') return Status::invalid_argument(shown + " names no host");
    if (engine::url_has_userinfo(url)) {
      return Status::invalid_argument(shown + " carries credentials (user:password@host): give them as a header instead");
    }
    if (std::any_of(url.begin(), url.end(), [](char c) { return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f; })) {
      return Status::invalid_argument(shown + " contains spaces or control characters");
    }
    return Status::ok();
  }
  for (std::string_view scheme : {"file:", "jsonl:"}) {
    if (!url.starts_with(scheme)) continue;
    if (url.size() == scheme.size()) {
      return Status::invalid_argument(shown + " names no file (use " + std::string(scheme) + "PATH)");
    }
    return Status::ok();
  }
  return Status::invalid_argument(shown +
                                  " is not a supported URL (http://HOST:PORT, https://HOST:PORT, file:PATH or jsonl:PATH)");
}

Status ConfigLoader::finish_sinks() {
  std::vector<std::string> cursors;
  for (std::size_t i = 0; i < config_->sinks.size(); ++i) {
    SinkConfig& sink = config_->sinks[i];
    const std::string& where = sink_where_[i];
    SPOOL_RETURN_IF_ERROR(validate_sink_url(sink.url).is_ok() ? Status::ok()
                                                               : error(where, validate_sink_url(sink.url).message()));
    const bool http = sink.url.starts_with("http://") || sink.url.starts_with("https://");
    if (sink.cursor.empty()) sink.cursor = "sink-" + std::to_string(i);
    if (Status s = segment::CursorStore::validate_name(sink.cursor); !s.is_ok()) return error(where, s.message());
    if (std::find(cursors.begin(), cursors.end(), sink.cursor) != cursors.end()) {
      return error(where, "cursor '" + sink.cursor + "' is used by another sink (each sink needs its own cursor)");
    }
    cursors.push_back(sink.cursor);
    if (!sink.compression.empty()) {
      if (sink.compression != "none" && sink.compression != "gzip" && sink.compression != "zstd") {
        return error(where, "compression '" + sink.compression + "' is not one of gzip, none, zstd");
      }
      if (!http) return error(where, "compression applies to http(s) sinks only");
    }
    if (!sink.headers.empty() && !http) return error(where, "headers apply to http(s) sinks only");
    for (const auto& [name, value] : sink.headers) {
      const bool bad_name = name.empty() || std::any_of(name.begin(), name.end(), [](char c) {
                              return static_cast<unsigned char>(c) <= 0x20 || c == ':' || c == 0x7f;
                            });
      if (bad_name) return error(where, "header name '" + name + "' is empty or has spaces, ':' or control characters");
      // Values are secrets: never repeated in a message.
      if (value.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) {
        return error(where, "the value of header '" + name + "' has a line break or NUL");
      }
    }
  }
  return Status::ok();
}

Status ConfigLoader::read_token_file() {
  const std::string where = where_of("token_file", "--token-file") + " " + config_->token_file;
  struct stat st;
  auto text = read_small_file(config_->token_file, kMaxTokenFileBytes, &st);
  if (!text) return error(where, text.status().message());
  // Anyone who can write the file chooses who may send: refused, as for header files.
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) return error(where, "is writable by group or others");
  if ((st.st_mode & (S_IRGRP | S_IROTH)) != 0) out_->warnings.push_back(where + " is readable by group or others");
  config_->token = std::string(trim(*text));
  if (config_->token.empty()) return error(where, "is empty");
  return Status::ok();
}

Status ConfigLoader::finish() {
  if (config_->dir.empty()) {
    return Status::invalid_argument("no log directory: " + std::string(kUsage) + " (or SPOOL_DIR, or dir in the config file)");
  }
  SPOOL_RETURN_IF_ERROR(finish_sinks());
  if (!config_->token_file.empty()) {
    SPOOL_RETURN_IF_ERROR(read_token_file());
  } else {
    config_->token = std::string(trim(config_->token));
  }
  if (std::any_of(config_->token.begin(), config_->token.end(),
                  [](char c) { return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f; })) {
    return error(config_->token_file.empty() ? where_of("SPOOL_OTLP_TOKEN", "environment SPOOL_OTLP_TOKEN")
                                              : where_of("token_file", "--token-file") + " " + config_->token_file,
                 "the token contains spaces or control characters");
  }
  const auto otlp = parse_listen_address(config_->otlp_listen);
  if (otlp && !is_loopback_host(otlp->host) && config_->token.empty()) {
    return Status::invalid_argument(where_of("otlp_listen", "--otlp-listen") + " " + config_->otlp_listen +
                                    " is not loopback: a bearer token is required (--token-file or SPOOL_OTLP_TOKEN)");
  }
  const bool cert = !config_->tls_cert_file.empty(), key = !config_->tls_key_file.empty();
  if (cert != key) {
    const std::string given = cert ? where_of("tls_cert_file", "--tls-cert") : where_of("tls_key_file", "--tls-key");
    return Status::invalid_argument(given + " is set without " + (cert ? "--tls-key" : "--tls-cert") +
                                    ": give the certificate and its key, or neither");
  }
  for (auto [name, path] : {std::pair{"tls_cert_file", &config_->tls_cert_file}, std::pair{"tls_key_file", &config_->tls_key_file}}) {
    if (path->empty()) continue;
    const int fd = ::open(path->c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      return error(where_of(name, name) + " " + *path, std::string("cannot be read: ") + std::strerror(errno));
    }
    ::close(fd);
  }
  return Status::ok();
}

}  // namespace

std::string_view ack_mode_name(AckMode mode) noexcept { return mode == AckMode::kWritten ? "written" : "committed"; }

Status load_spoold_config(int argc, const char* const* argv, const std::vector<std::string>& environ,
                          SpooldCommandLine* out) {
  *out = SpooldCommandLine{};
  out->help_text = help_text();
  Arguments args;
  SPOOL_RETURN_IF_ERROR(parse_arguments(argc, argv, &args));
  out->help = args.help;
  out->version = args.version;
  out->print_config = args.print_config;
  if (args.help || args.version) return Status::ok();

  // An empty variable counts as unset, as the OpenTelemetry specification has it.
  std::map<std::string, std::string, std::less<>> env;
  for (const std::string& entry : environ) {
    const std::size_t eq = entry.find('=');
    if (eq == std::string::npos || eq + 1 == entry.size()) continue;
    env.emplace(entry.substr(0, eq), entry.substr(eq + 1));
  }

  ConfigLoader loader(out);
  if (args.config_file) {
    SPOOL_RETURN_IF_ERROR(loader.load_file(*args.config_file, "--config"));
  } else if (auto it = env.find("SPOOL_CONFIG"); it != env.end()) {
    SPOOL_RETURN_IF_ERROR(loader.load_file(it->second, "environment SPOOL_CONFIG"));
  }
  SPOOL_RETURN_IF_ERROR(loader.load_environment(env));
  SPOOL_RETURN_IF_ERROR(loader.load_arguments(args));

  // OTEL_EXPORTER_OTLP_HEADERS and _COMPRESSION belong to the sink OTEL_EXPORTER_OTLP_ENDPOINT
  // names. Without that variable they go to the http(s) sinks given with --to, which has no
  // way to carry headers itself (and argv is public to `ps`).
  const bool otel_endpoint = env.contains(kOtelEndpoint) && args.to.empty();
  std::vector<SinkConfig*> otel_sinks;
  for (SinkConfig& sink : out->config.sinks) {
    const bool http = sink.url.starts_with("http://") || sink.url.starts_with("https://");
    if (otel_endpoint || (!args.to.empty() && http)) otel_sinks.push_back(&sink);
  }
  for (std::string_view variable : {kOtelHeaders, kOtelCompression}) {
    auto it = env.find(variable);
    if (it == env.end()) continue;
    if (otel_sinks.empty()) {
      out->warnings.push_back("environment " + std::string(variable) +
                              " is ignored: it applies to the sink of OTEL_EXPORTER_OTLP_ENDPOINT or --to");
      continue;
    }
    if (variable == kOtelHeaders) {
      auto headers = engine::parse_otel_headers(it->second);
      if (!headers) return Status::invalid_argument("environment " + headers.status().message());
      for (SinkConfig* sink : otel_sinks) engine::merge_headers(&sink->headers, *headers);
    } else {
      if (it->second != "none" && it->second != "gzip" && it->second != "zstd") {
        return Status::invalid_argument("environment " + std::string(variable) + ": '" + it->second +
                                        "' is not one of gzip, none, zstd");
      }
      for (SinkConfig* sink : otel_sinks) sink->compression = it->second;
    }
  }
  for (std::string_view unused : {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT",
                                  "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"}) {
    if (env.contains(unused)) {
      out->warnings.push_back("environment " + std::string(unused) +
                              " is ignored: spoold forwards every signal to one base URL (OTEL_EXPORTER_OTLP_ENDPOINT)");
    }
  }
  if (auto it = env.find("OTEL_EXPORTER_OTLP_PROTOCOL"); it != env.end() && it->second != "http/protobuf") {
    out->warnings.push_back("environment OTEL_EXPORTER_OTLP_PROTOCOL=" + it->second +
                            " is ignored: spoold's OTLP sinks send http/protobuf");
  }
  return loader.finish();
}

}  // namespace spool::tools

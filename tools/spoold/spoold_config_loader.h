// The machinery behind load_spoold_config: a ConfigLoader applies the sources in turn to
// one SpooldCommandLine and remembers where each value came from, so that the checks after
// the merge can name the source. spoold_config.cc reads the command line and the
// environment, spoold_config_file.cc the TOML file, spoold_config_checks.cc checks the result.
#pragma once

#include <sys/stat.h>

#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tools/spoold/spoold_config.h"
#include "tools/spoold/spoold_config_keys.h"

namespace spool::tools::config_loading {

// Ranks of the sources: a value set by a source of a higher rank is not replaced by a lower one.
enum Rank : int { kDefaults = 0, kFile = 1, kEnvironment = 2, kCommandLine = 3 };

inline constexpr std::string_view kUsage = "usage: spoold [flags] DIR";

// InvalidArgument "<where>: <what>".
Status error(const std::string& where, const std::string& what);
// Without surrounding spaces, tabs, CR and LF.
std::string_view trim_blanks(std::string_view s);
// "a, b, c".
std::string key_list(std::span<const std::string_view> names);
// A regular file of at most max_bytes; the error says what is wrong ("cannot be read: ...",
// "is not a regular file") for the caller to prefix with the file's name.
Result<std::string> read_small_file(const std::string& path, std::size_t max_bytes,
                                    struct stat* st);

// What the command line asked for, before any source is applied.
struct Arguments {
  std::vector<std::pair<const ConfigKey*, std::string>> values;  // in order
  std::vector<std::string> to;
  std::vector<std::string> redact;             // --redact, for the sinks of --to
  std::optional<std::string> redact_key_file;  // --redact-key-file, for the sinks of --to
  std::vector<std::string> resource;  // KEY=VALUE
  std::vector<std::string> buffer;    // NAME=VALUE
  std::vector<std::string> lanes;     // --lane SPEC
  std::optional<std::string> config_file;
  std::optional<std::string> dir;
  bool help = false, version = false, print_config = false;
};

// "NAME" -> value, empty values left out.
using Environment = std::map<std::string, std::string, std::less<>>;

class ConfigLoader {
 public:
  explicit ConfigLoader(SpooldCommandLine* out) : out_(out), config_(&out->config) {}

  // The sources, lowest first.
  Status load_file(const std::string& path, const std::string& path_where);
  Status load_environment(const Environment& env);
  Status load_arguments(const Arguments& args);
  // OTEL_EXPORTER_OTLP_HEADERS and _COMPRESSION, once the sinks are known.
  Status apply_otel_exporter_variables(const Environment& env, const Arguments& args);
  // The checks of the merged result.
  Status finish();

 private:
  struct Origin {
    std::string where;
    int rank = kDefaults;
  };
  Status set(const ConfigKey& key, std::string_view text, const std::string& where, int rank);
  void set_resource_attribute(std::string key, std::string value, const std::string& where,
                              int rank);
  Status set_buffer_option(const std::string& name, const std::string& value,
                           const std::string& where);
  int rank_of(const std::string& name) const {
    auto it = origin_.find(name);
    return it == origin_.end() ? kDefaults : it->second.rank;
  }
  std::string where_of(const std::string& name, std::string_view fallback) const {
    auto it = origin_.find(name);
    return it == origin_.end() ? std::string(fallback) : it->second.where;
  }
  Status finish_sinks();
  Status finish_redaction(const std::string& where, SinkConfig* sink);
  Status read_token_file();

  SpooldCommandLine* out_;
  SpooldConfig* config_;
  std::map<std::string, Origin> origin_;  // by file key (or variable): where it was set
  std::string file_;                      // "config file PATH", or empty
  std::vector<std::string> sink_where_;   // per sink: where it was given
};

}  // namespace spool::tools::config_loading

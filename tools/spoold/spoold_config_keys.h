// The scalar keys of spoold's configuration, each once: its config file key, environment
// variable and flag, how the file spells its value, and how text becomes the field. The
// loader (spoold_config.cc) reads every source through this table, and --help is made from
// it, so a key cannot be accepted in one place and forgotten in another. The keys that are
// lists or tables (sinks, resource attributes, buffer options) are the loader's own.
#pragma once

#include <span>
#include <string_view>

#include "tools/spoold/spoold_config.h"

namespace spool::tools {

// What a config file value must be.
enum class FileValueType : std::uint8_t {
  kString,
  kInteger,          // a non-negative integer
  kIntegerOrString,  // a size: an integer (bytes) or a string with a unit ("16MiB")
};

struct ConfigKey {
  std::string_view file_key;  // "" = not in the config file
  std::string_view env;       // "" = no environment variable
  std::string_view flag;      // "" = no flag
  std::string_view metavar;
  std::string_view help;
  FileValueType file_type;
  // Parses `text` into its field. The error says what is wrong with the value only; the
  // loader prefixes the source ("--ack: ", "environment SPOOL_ACK: ").
  Status (*set)(SpooldConfig* config, std::string_view text);
};

std::span<const ConfigKey> config_keys();

}  // namespace spool::tools

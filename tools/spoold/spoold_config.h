// (placeholder until the config module lands; the struct as agreed)
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>
#include "spool/status.h"
namespace spool::tools {
enum class AckMode : std::uint8_t { kWritten, kCommitted };
struct SinkConfig {
  std::string url;
  std::string cursor;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string compression;
  std::string encoding;  // "protobuf" (default) or "json"
};
struct SpooldConfig {
  std::string dir;
  std::uint64_t max_size_mb = 0;
  std::uint32_t retention_days = 0;
  std::string device_id;
  std::string service_name = "spoold";
  std::vector<std::pair<std::string, std::string>> resource_attributes;
  std::string otlp_listen = "127.0.0.1:4318";
  std::string metrics_listen = "127.0.0.1:9464";
  AckMode ack = AckMode::kCommitted;
  std::uint64_t max_body_bytes = 16 << 20;
  std::string token;
  std::string token_file;
  std::string tls_cert_file, tls_key_file;
  std::vector<SinkConfig> sinks;
  std::uint32_t drain_timeout_ms = 10000;
  std::map<std::string, std::string> buffer_options;
};
}
namespace spool::tools {
struct SpooldCommandLine { SpooldConfig config; bool print_config = false; bool help = false; bool version = false; std::string help_text; };
Status load_spoold_config(int argc, const char* const* argv, const std::vector<std::string>& environ, SpooldCommandLine* out);
std::string spoold_config_json(const SpooldConfig& config);
}

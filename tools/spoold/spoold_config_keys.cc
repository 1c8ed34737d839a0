#include "tools/spoold/spoold_config_keys.h"

#include <array>
#include <limits>
#include <string>

#include "tools/cli_numbers.h"

namespace spool::tools {
namespace {

Status not_a(std::string_view text, std::string_view what) {
  return Status::invalid_argument("'" + std::string(text) + "' is not " + std::string(what));
}

template <typename Int>
Status set_number(std::string_view text, Int* field) {
  const auto value = parse_decimal_u64(text);
  if (!value) return not_a(text, "a number");
  if (*value > std::numeric_limits<Int>::max()) {
    return Status::invalid_argument("'" + std::string(text) + "' is out of range (at most " +
                                    std::to_string(std::numeric_limits<Int>::max()) + ")");
  }
  *field = static_cast<Int>(*value);
  return Status::ok();
}

Status set_listen(std::string_view text, std::string* field, bool may_disable) {
  if (may_disable && (text.empty() || text == "off")) {
    field->clear();
    return Status::ok();
  }
  if (!parse_listen_address(text)) {
    return not_a(text, "HOST:PORT (port 0-65535, 0 = a free port; an IPv6 host in brackets: [::1]:4318)");
  }
  *field = std::string(text);
  return Status::ok();
}

constexpr std::array kKeys = {
    ConfigKey{"dir", "SPOOL_DIR", "", "DIR", "the log directory (also the positional argument)",
              FileValueType::kString,
              [](SpooldConfig* c, std::string_view t) {
                if (t.empty()) return Status::invalid_argument("the log directory is empty");
                c->dir = std::string(t);
                return Status::ok();
              }},
    ConfigKey{"max_size_mb", "SPOOL_MAX_SIZE_MB", "--max-size-mb", "MB",
              "cap on the log's size in MiB (0 = the Buffer's default)", FileValueType::kInteger,
              [](SpooldConfig* c, std::string_view t) {
                // In bytes it must fit 64 bits.
                std::uint64_t mb = 0;
                SPOOL_RETURN_IF_ERROR(set_number(t, &mb));
                if (mb > (std::numeric_limits<std::uint64_t>::max() >> 20)) {
                  return Status::invalid_argument(
                      "'" + std::string(t) + "' is out of range (at most " +
                      std::to_string(std::numeric_limits<std::uint64_t>::max() >> 20) + ")");
                }
                c->max_size_mb = mb;
                return Status::ok();
              }},
    ConfigKey{
        "retention_days", "SPOOL_RETENTION_DAYS", "--retention-days", "DAYS",
        "delete records older than this (0 = keep until forwarded or the size cap)",
        FileValueType::kInteger,
        [](SpooldConfig* c, std::string_view t) { return set_number(t, &c->retention_days); }},
    ConfigKey{"device_id", "SPOOL_DEVICE_ID", "--device-id", "ID", "resource attribute device.id",
              FileValueType::kString,
              [](SpooldConfig* c, std::string_view t) {
                c->device_id = std::string(t);
                return Status::ok();
              }},
    ConfigKey{"service_name", "OTEL_SERVICE_NAME", "--service-name", "NAME",
              "resource attribute service.name (default spoold)", FileValueType::kString,
              [](SpooldConfig* c, std::string_view t) {
                c->service_name = std::string(t);
                return Status::ok();
              }},
    ConfigKey{
        "otlp_listen", "SPOOL_OTLP_LISTEN", "--otlp-listen", "HOST:PORT",
        "the OTLP/HTTP receiver's address (default 127.0.0.1:4318; not loopback: needs a token)",
        FileValueType::kString,
        [](SpooldConfig* c, std::string_view t) { return set_listen(t, &c->otlp_listen, false); }},
    ConfigKey{"metrics_listen", "SPOOL_METRICS_LISTEN", "--metrics-listen", "HOST:PORT",
              "/metrics and /healthz (default 127.0.0.1:9464; off disables)",
              FileValueType::kString,
              [](SpooldConfig* c, std::string_view t) {
                return set_listen(t, &c->metrics_listen, true);
              }},
    ConfigKey{
        "ack", "SPOOL_ACK", "--ack", "MODE",
        "answer OTLP requests once their records are written or committed (default committed)",
        FileValueType::kString,
        [](SpooldConfig* c, std::string_view t) {
          if (t == "written")
            c->ack = AckMode::kWritten;
          else if (t == "committed")
            c->ack = AckMode::kCommitted;
          else
            return not_a(t, "one of committed, written");
          return Status::ok();
        }},
    ConfigKey{"max_body_bytes", "SPOOL_MAX_BODY_BYTES", "--max-body-bytes", "SIZE",
              "largest OTLP request body after decompression (default 16MiB)",
              FileValueType::kIntegerOrString,
              [](SpooldConfig* c, std::string_view t) {
                const auto value = parse_byte_size(t);
                if (!value || *value == 0)
                  return not_a(t, "a size above 0 (a number, optionally with K, M or G)");
                c->max_body_bytes = *value;
                return Status::ok();
              }},
    ConfigKey{"token_file", "", "--token-file", "FILE",
              "file holding the bearer token OTLP requests must carry", FileValueType::kString,
              [](SpooldConfig* c, std::string_view t) {
                if (t.empty()) return Status::invalid_argument("the token file's path is empty");
                c->token_file = std::string(t);
                c->token.clear();  // read at the end, from the winning source
                return Status::ok();
              }},
    ConfigKey{"", "SPOOL_OTLP_TOKEN", "", "TOKEN", "the bearer token itself",
              FileValueType::kString,
              [](SpooldConfig* c, std::string_view t) {
                c->token = std::string(t);
                c->token_file.clear();
                return Status::ok();
              }},
    ConfigKey{"tls_cert_file", "SPOOL_TLS_CERT_FILE", "--tls-cert", "FILE",
              "serve OTLP over TLS with this PEM certificate (with --tls-key)",
              FileValueType::kString,
              [](SpooldConfig* c, std::string_view t) {
                c->tls_cert_file = std::string(t);
                return Status::ok();
              }},
    ConfigKey{"tls_key_file", "SPOOL_TLS_KEY_FILE", "--tls-key", "FILE", "its PEM private key",
              FileValueType::kString,
              [](SpooldConfig* c, std::string_view t) {
                c->tls_key_file = std::string(t);
                return Status::ok();
              }},
    ConfigKey{
        "drain_timeout_ms", "SPOOL_DRAIN_TIMEOUT_MS", "--drain-timeout-ms", "MS",
        "on SIGTERM, deliver for at most this long before exiting (default 10000)",
        FileValueType::kInteger,
        [](SpooldConfig* c, std::string_view t) { return set_number(t, &c->drain_timeout_ms); }},
};

}  // namespace

std::span<const ConfigKey> config_keys() { return kKeys; }

std::optional<ListenAddress> parse_listen_address(std::string_view text) {
  ListenAddress address;
  std::string_view port;
  if (text.starts_with('[')) {
    const std::size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
      return std::nullopt;
    address.host = std::string(text.substr(1, close - 1));
    if (address.host.empty() ||
        address.host.find_first_not_of("0123456789abcdefABCDEF:.") != std::string::npos) {
      return std::nullopt;
    }
    port = text.substr(close + 2);
  } else {
    const std::size_t colon = text.rfind(':');
    if (colon == std::string_view::npos || colon == 0) return std::nullopt;
    address.host = std::string(text.substr(0, colon));
    // An unbracketed IPv6 address is ambiguous ("::1:4318"): brackets are required.
    if (address.host.find(':') != std::string::npos) return std::nullopt;
    for (char ch : address.host) {
      const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                      (ch >= '0' && ch <= '9') || ch == '.' || ch == '-' || ch == '_';
      if (!ok) return std::nullopt;
    }
    port = text.substr(colon + 1);
  }
  const auto number = parse_decimal_u64(port);
  if (!number || *number > 65535) return std::nullopt;
  address.port = static_cast<std::uint16_t>(*number);
  return address;
}

std::string ListenAddress::text() const {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

bool is_loopback_host(std::string_view host) {
  if (host == "localhost" || host == "::1" || host == "0:0:0:0:0:0:0:1") return true;
  // 127.0.0.0/8, as dotted decimal.
  if (!host.starts_with("127.")) return false;
  int dots = 0;
  for (char ch : host) {
    if (ch == '.')
      ++dots;
    else if (ch < '0' || ch > '9')
      return false;
  }
  return dots == 3;
}

}  // namespace spool::tools

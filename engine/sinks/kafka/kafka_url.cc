#include "engine/sinks/kafka/kafka_url.h"

#include <algorithm>
#include <charconv>
#include <string>

#include "engine/forward/secret_redaction.h"
#include "engine/sinks/kafka/kafka_topic_template.h"
#include "engine/sinks/otlp/http_header_sources.h"

namespace spool::engine {

namespace {

constexpr std::string_view kForm = "kafka://HOST:PORT[,HOST:PORT...]/TOPIC[?PROPERTY=VALUE&...]";

bool parse_port(std::string_view text) {
  unsigned port = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
  return ec == std::errc() && end == text.data() + text.size() && port >= 1 && port <= 65535;
}

// "host:port" or "[v6 address]:port".
bool valid_broker(std::string_view broker) {
  std::size_t colon;
  if (broker.starts_with('[')) {
    const std::size_t close = broker.find(']');
    if (close == std::string_view::npos || close == 1 || close + 1 >= broker.size() ||
        broker[close + 1] != ':') {
      return false;
    }
    colon = close + 1;
  } else {
    colon = broker.rfind(':');
    if (colon == std::string_view::npos || colon == 0) return false;
    if (broker.substr(0, colon).find_first_of(":[]") != std::string_view::npos) return false;
  }
  return parse_port(broker.substr(colon + 1));
}

}  // namespace

Result<KafkaSinkOptions> parse_kafka_url(std::string_view url) {
  std::string shown = "'";  // (appended: GCC 12 warns -Wrestrict on "'" + string&&)
  shown += redact_secrets(url);
  shown += '\'';
  if (!url.starts_with(kKafkaScheme)) {
    return Status::invalid_argument(shown + " is not a Kafka URL (" + std::string(kForm) + ")");
  }
  if (std::any_of(url.begin(), url.end(),
                  [](char c) { return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f; })) {
    return Status::invalid_argument(shown + " contains spaces or control characters");
  }
  if (url_has_userinfo(url)) {
    return Status::invalid_argument(shown +
                                    " carries credentials (user:password@host): give them as the "
                                    "properties sasl.username and sasl.password instead");
  }
  std::string_view rest = url.substr(kKafkaScheme.size());
  std::string_view query;
  if (const std::size_t q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  const std::size_t slash = rest.find('/');
  const std::string_view servers = rest.substr(0, slash);
  if (servers.empty())
    return Status::invalid_argument(shown + " names no broker (" + std::string(kForm) + ")");
  if (slash == std::string_view::npos || slash + 1 == rest.size()) {
    return Status::invalid_argument(shown + " names no topic (" + std::string(kForm) + ")");
  }
  KafkaSinkOptions options;
  for (std::size_t from = 0; from <= servers.size();) {
    std::size_t comma = servers.find(',', from);
    if (comma == std::string_view::npos) comma = servers.size();
    const std::string_view broker = servers.substr(from, comma - from);
    if (!valid_broker(broker)) {
      return Status::invalid_argument(shown + " has a broker address '" + std::string(broker) +
                                      "' that is not HOST:PORT (port 1-65535)");
    }
    from = comma + 1;
  }
  options.bootstrap_servers = std::string(servers);
  options.topic = std::string(rest.substr(slash + 1));
  if (Status s = validate_topic_template(options.topic); !s) {
    return Status::invalid_argument(shown + ": " + s.message());
  }
  for (std::size_t from = 0; from < query.size();) {
    std::size_t amp = query.find('&', from);
    if (amp == std::string_view::npos) amp = query.size();
    const std::string_view pair = query.substr(from, amp - from);
    from = amp + 1;
    if (pair.empty()) continue;
    const std::size_t eq = pair.find('=');
    std::string name, value;
    if (eq == std::string_view::npos || eq == 0 || !percent_decode(pair.substr(0, eq), &name) ||
        !percent_decode(pair.substr(eq + 1), &value)) {
      return Status::invalid_argument(shown +
                                      " has a query parameter that is not PROPERTY=VALUE "
                                      "(percent-encoded)");
    }
    if (name == "message.timeout.ms" || name == "delivery.timeout.ms") {
      unsigned ms = 0;
      const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), ms);
      if (ec != std::errc() || end != value.data() + value.size() || ms == 0) {
        return Status::invalid_argument(shown + ": " + name +
                                        " must be a number of milliseconds > 0");
      }
      options.delivery_timeout_ms = ms;
      continue;
    }
    options.settings.emplace_back(std::move(name), std::move(value));
  }
  return options;
}

}  // namespace spool::engine

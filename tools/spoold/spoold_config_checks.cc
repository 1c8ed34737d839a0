// The checks of spoold's merged configuration: a directory, sinks spoold can start (URL
// forms, cursors, compression, headers), the token file, a token for a receiver beyond
// loopback, TLS files. Each error names the source of the value it refuses.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "engine/forward/secret_redaction.h"
#include "engine/produce/lane_settings.h"
#include "engine/sinks/kafka/kafka_producer_config.h"
#include "engine/sinks/kafka/kafka_url.h"
#include "segment/cursor_store.h"
#include "tools/redaction_config.h"
#include "tools/spoold/spoold_config_loader.h"

namespace spool::tools::config_loading {
namespace {

constexpr std::size_t kMaxTokenFileBytes = 64 * 1024;

// The URL forms engine::make_sink_for_url accepts (it has no parse-only entry, and building
// a sink to check its URL would open files and connections): http(s)://HOST..., file:PATH,
// jsonl:PATH, and kafka://... with its properties checked as the producer would take them
// (kafka_producer_conf connects nowhere). The OTLP sink checks the rest of an http(s) URL
// when spoold starts it.
Status validate_sink_url(const std::string& url) {
  std::string shown = "'";  // (built by appending: GCC 12 warns -Wrestrict on "'" + string&&)
  shown += engine::redact_secrets(url);
  shown += '\'';
  for (std::string_view scheme : {"http://", "https://"}) {
    if (!url.starts_with(scheme)) continue;
    const std::string_view rest = std::string_view(url).substr(scheme.size());
    if (rest.empty() || rest.front() == '/' || rest.front() == ':')
      return Status::invalid_argument(shown + " names no host");
    if (engine::url_has_userinfo(url)) {
      return Status::invalid_argument(
          shown + " carries credentials (user:password@host): give them as a header instead");
    }
    if (std::any_of(url.begin(), url.end(),
                    [](char c) { return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f; })) {
      return Status::invalid_argument(shown + " contains spaces or control characters");
    }
    return Status::ok();
  }
  if (url.starts_with(engine::kKafkaScheme)) {
    auto options = engine::parse_kafka_url(url);
    if (!options) return options.status();
    if (auto conf = engine::kafka_producer_conf(*options); !conf) {
      return Status::invalid_argument(shown + ": " + conf.status().message());
    }
    return Status::ok();
  }
  for (std::string_view scheme : {"file:", "jsonl:"}) {
    if (!url.starts_with(scheme)) continue;
    if (url.size() == scheme.size()) {
      return Status::invalid_argument(shown + " names no file (use " + std::string(scheme) +
                                      "PATH)");
    }
    return Status::ok();
  }
  return Status::invalid_argument(
      shown +
      " is not a supported URL (http://HOST:PORT, https://HOST:PORT, kafka://HOST:PORT/TOPIC, "
      "file:PATH or jsonl:PATH)");
}

}  // namespace

Status ConfigLoader::finish_sinks() {
  // The lanes first: a sink's lanes must name one of them.
  Options lanes;
  lanes.lanes = config_->lanes;
  if (Status s = engine::validate_lanes(lanes); !s) return error("lanes", s.message());
  std::vector<std::string> cursors;
  for (std::size_t i = 0; i < config_->sinks.size(); ++i) {
    SinkConfig& sink = config_->sinks[i];
    const std::string& where = sink_where_[i];
    if (Status s = validate_sink_url(sink.url); !s.is_ok()) return error(where, s.message());
    const bool http = sink.url.starts_with("http://") || sink.url.starts_with("https://");
    if (sink.cursor.empty()) sink.cursor = "sink-" + std::to_string(i);
    if (Status s = segment::CursorStore::validate_name(sink.cursor); !s.is_ok())
      return error(where, s.message());
    if (std::find(cursors.begin(), cursors.end(), sink.cursor) != cursors.end()) {
      return error(where, "cursor '" + sink.cursor +
                              "' is used by another sink (each sink needs its own cursor)");
    }
    cursors.push_back(sink.cursor);
    if (!sink.compression.empty()) {
      if (sink.compression != "none" && sink.compression != "gzip" && sink.compression != "zstd") {
        return error(where,
                     "compression '" + sink.compression + "' is not one of gzip, none, zstd");
      }
      if (!http) return error(where, "compression applies to http(s) sinks only");
    }
    if (!sink.encoding.empty()) {
      if (sink.encoding != "protobuf" && sink.encoding != "json") {
        return error(where, "encoding '" + sink.encoding + "' is not one of json, protobuf");
      }
      if (!http) return error(where, "encoding applies to http(s) sinks only");
    }
    ForwarderOptions forwarding;
    if (Status s = engine::apply_order_and_selection(order_selection_text(sink), &forwarding); !s) {
      return error(where, s.message());
    }
    if (!sink.headers.empty() && !http) return error(where, "headers apply to http(s) sinks only");
    for (const std::string& lane : sink.lanes) {
      const bool declared =
          lane == kDefaultLane || std::any_of(config_->lanes.begin(), config_->lanes.end(),
                                              [&](const LaneOptions& l) { return l.name == lane; });
      // A lane no longer declared may still be on disk (retired): Forwarder::start decides.
      if (!declared && !engine::valid_lane_name(lane))
        return error(where, "lanes: '" + lane + "' is not a lane name");
    }
    SPOOL_RETURN_IF_ERROR(finish_redaction(where, &sink));
    if (sink.bandwidth.critical_reserve_bytes > sink.bandwidth.daily_cap_bytes) {
      return error(where, "critical_reserve (" +
                              std::to_string(sink.bandwidth.critical_reserve_bytes) +
                              ") must not exceed daily_cap (" +
                              std::to_string(sink.bandwidth.daily_cap_bytes) +
                              (sink.bandwidth.daily_cap_bytes == 0 ? ", none)" : ")"));
    }
    for (const auto& [name, value] : sink.headers) {
      const bool bad_name = name.empty() || std::any_of(name.begin(), name.end(), [](char c) {
                              return static_cast<unsigned char>(c) <= 0x20 || c == ':' || c == 0x7f;
                            });
      if (bad_name)
        return error(
            where, "header name '" + name + "' is empty or has spaces, ':' or control characters");
      // Values are secrets: never repeated in a message.
      if (value.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) {
        return error(where, "the value of header '" + name + "' has a line break or NUL");
      }
    }
  }
  return Status::ok();
}

// The sink's rules and key, checked and read (the key file like every secret file). The
// sinks of --to got theirs from --redact and --redact-key-file, which the errors name.
Status ConfigLoader::finish_redaction(const std::string& where, SinkConfig* sink) {
  const bool from_flags = where == "--to";
  if (!sink->redact_key_file.empty() && sink->redact.empty()) {
    return from_flags ? error("--redact-key-file", "needs --redact")
                      : error(where, "redact_key_file needs redact");
  }
  auto redaction =
      redaction_options(sink->redact, sink->redact_key_file,
                        from_flags ? "--redact-key-file" : "redact_key_file", &out_->warnings);
  if (!redaction) {
    return from_flags ? error("--redact", redaction.status().message())
                      : error(where, "redact: " + redaction.status().message());
  }
  sink->redaction = std::move(*redaction);
  return Status::ok();
}

Status ConfigLoader::read_token_file() {
  const std::string where = where_of("token_file", "--token-file") + " " + config_->token_file;
  struct stat st;
  auto text = read_small_file(config_->token_file, kMaxTokenFileBytes, &st);
  if (!text) return error(where, text.status().message());
  // Anyone who can write the file chooses who may send: refused, as for header files.
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
    return error(where, "is writable by group or others");
  if ((st.st_mode & (S_IRGRP | S_IROTH)) != 0)
    out_->warnings.push_back(where + " is readable by group or others");
  config_->token = std::string(trim_blanks(*text));
  if (config_->token.empty()) return error(where, "is empty");
  return Status::ok();
}

Status ConfigLoader::finish() {
  if (config_->dir.empty()) {
    return Status::invalid_argument("no log directory: " + std::string(kUsage) +
                                    " (or SPOOL_DIR, or dir in the config file)");
  }
  SPOOL_RETURN_IF_ERROR(finish_sinks());
  if (!config_->token_file.empty()) {
    SPOOL_RETURN_IF_ERROR(read_token_file());
  } else {
    config_->token = std::string(trim_blanks(config_->token));
  }
  if (std::any_of(config_->token.begin(), config_->token.end(),
                  [](char c) { return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f; })) {
    return error(config_->token_file.empty()
                     ? where_of("SPOOL_OTLP_TOKEN", "environment SPOOL_OTLP_TOKEN")
                     : where_of("token_file", "--token-file") + " " + config_->token_file,
                 "the token contains spaces or control characters");
  }
  const auto otlp = parse_listen_address(config_->otlp_listen);
  if (otlp && !is_loopback_host(otlp->host) && config_->token.empty()) {
    return Status::invalid_argument(
        where_of("otlp_listen", "--otlp-listen") + " " + config_->otlp_listen +
        " is not loopback: a bearer token is required (--token-file or SPOOL_OTLP_TOKEN)");
  }
  const bool cert = !config_->tls_cert_file.empty(), key = !config_->tls_key_file.empty();
  if (cert != key) {
    const std::string given =
        cert ? where_of("tls_cert_file", "--tls-cert") : where_of("tls_key_file", "--tls-key");
    return Status::invalid_argument(given + " is set without " +
                                    (cert ? "--tls-key" : "--tls-cert") +
                                    ": give the certificate and its key, or neither");
  }
  for (auto [name, path] : {std::pair{"tls_cert_file", &config_->tls_cert_file},
                            std::pair{"tls_key_file", &config_->tls_key_file}}) {
    if (path->empty()) continue;
    const int fd = ::open(path->c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      return error(where_of(name, name) + " " + *path,
                   std::string("cannot be read: ") + std::strerror(errno));
    }
    ::close(fd);
  }
  return Status::ok();
}

}  // namespace spool::tools::config_loading

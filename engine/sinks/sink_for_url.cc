#include "engine/sinks/sink_for_url.h"

#include <string_view>
#include <utility>

#include "engine/forward/secret_redaction.h"
#include "engine/sinks/kafka/kafka_url.h"
#include "spool/jsonl_file_sink.h"
#include "spool/kafka_sink.h"

namespace spool::engine {

Result<std::unique_ptr<Sink>> make_sink_for_url(const std::string& url, OtlpHttpOptions http, mode_t file_mode) {
  if (url.starts_with("http://") || url.starts_with("https://")) {
    http.endpoint = url;
    return make_otlp_http_sink(std::move(http));
  }
  if (url.starts_with(kKafkaScheme)) {
    auto options = parse_kafka_url(url);
    if (!options) return options.status();
    // The values are OTLP requests: the same resource as an OTLP/HTTP sink would send.
    options->resource_attributes = std::move(http.resource_attributes);
    auto sink = make_kafka_sink(std::move(*options));
    if (!sink && sink.status().code() == StatusCode::kInvalidArgument) {
      std::string message = "'";
      message += redact_secrets(url);
      message += "': ";
      message += sink.status().message();
      return Status::invalid_argument(std::move(message));
    }
    return sink;
  }
  for (std::string_view scheme : {"file:", "jsonl:"}) {
    if (url.starts_with(scheme)) {
      std::string path = url.substr(scheme.size());
      if (path.empty()) {
        return Status::invalid_argument(url + " names no file (use " + std::string(scheme) + "PATH)");
      }
      return make_jsonl_file_sink(std::move(path), /*fsync_each_batch=*/true, file_mode);
    }
  }
  std::string message = "'";
  message += redact_secrets(url);
  message += "' is not a supported URL (http://HOST:PORT, https://HOST:PORT, kafka://HOST:PORT/TOPIC, "
             "file:PATH or jsonl:PATH)";
  return Status::invalid_argument(std::move(message));
}

}  // namespace spool::engine

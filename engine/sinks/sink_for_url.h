// The sink a URL names, in the forms `spoolctl forward --to` and the C API's
// spool_forwarder_start take: http://HOST:PORT[/prefix] and https://... (OTLP/HTTP, with
// `http` as the options for everything but the endpoint), kafka://HOST:PORT[,...]/TOPIC[?...]
// (Kafka, engine/sinks/kafka/kafka_url.h; `http.resource_attributes` become the values'
// OTLP Resource), file:PATH and jsonl:PATH (JSON lines, fsync'd per batch, created with
// `file_mode`). One place, so every front end accepts the same URLs with the same messages.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>

#include "spool/otlp_http_sink.h"
#include "spool/sink.h"
#include "spool/status.h"

namespace spool::engine {

// InvalidArgument for a URL of no supported form (the message redacts credentials in it) or
// a file URL without a path; the messages start with the URL so callers can name their flag.
Result<std::unique_ptr<Sink>> make_sink_for_url(const std::string& url, OtlpHttpOptions http, mode_t file_mode);

}  // namespace spool::engine

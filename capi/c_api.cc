// The extern "C" functions of include/spool/spool.h: argument checks, then the C++ API.
// Every function is noexcept in effect (capi::guarded): nothing throws across the boundary.
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "capi/c_options.h"
#include "capi/c_records.h"
#include "capi/c_status.h"
#include "engine/sinks/otlp/http_header_sources.h"
#include "engine/sinks/sink_for_url.h"
#include "report/stats_json.h"
#include "spool/buffer.h"
#include "spool/forwarder.h"
#include "spool/otlp_http_sink.h"
#include "spool/spool.h"

#ifndef SPOOL_VERSION_STRING
#error "SPOOL_VERSION_STRING is set by capi/CMakeLists.txt"
#endif

struct spool_buffer {
  std::unique_ptr<spool::Buffer> buffer;
};

struct spool_forwarder {
  std::unique_ptr<spool::Forwarder> forwarder;
};

namespace spool::capi {
namespace {

static_assert(static_cast<int>(StatusCode::kInvalidArgument) == SPOOL_INVALID_ARGUMENT);
static_assert(static_cast<int>(StatusCode::kLocked) == SPOOL_LOCKED);
static_assert(static_cast<int>(StatusCode::kNoSpace) == SPOOL_NO_SPACE);
static_assert(static_cast<int>(StatusCode::kFull) == SPOOL_FULL);
static_assert(static_cast<int>(StatusCode::kForkChild) == SPOOL_FORK_CHILD);
static_assert(static_cast<int>(StatusCode::kPermissionDenied) == SPOOL_PERMISSION_DENIED);

// A NUL-terminated copy of `text` for the caller to spool_free.
char* c_string(const std::string& text) {
  char* out = static_cast<char*>(std::malloc(text.size() + 1));
  if (out != nullptr) std::memcpy(out, text.c_str(), text.size() + 1);
  return out;
}

spool_status return_json(const nlohmann::ordered_json& json, char** out) {
  *out = c_string(json.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace));
  return *out != nullptr ? SPOOL_OK : report(SPOOL_INTERNAL, "out of memory");
}

// The sink behind a URL of spool_forwarder_start: OTLP/HTTP with headers from
// OTEL_EXPORTER_OTLP_HEADERS, or a JSON-lines file.
Result<std::unique_ptr<Sink>> sink_for_url(const std::string& url, mode_t file_mode) {
  OtlpHttpOptions o;
  const char* env = std::getenv(std::string(engine::kOtelHeadersVariable).c_str());
  if (env != nullptr && (url.starts_with("http://") || url.starts_with("https://"))) {
    auto headers = engine::parse_otel_headers(env);
    if (!headers) return headers.status();
    o.headers = std::move(*headers);
  }
  return engine::make_sink_for_url(url, std::move(o), file_mode);
}

}  // namespace
}  // namespace spool::capi

using spool::Status;
using spool::capi::guarded;
using spool::capi::invalid;
using spool::capi::report;

extern "C" {

const char* spool_last_error(void) { return spool::capi::last_error(); }

const char* spool_status_name(spool_status status) {
  if (status == SPOOL_INTERNAL) return "Internal";
  if (status < SPOOL_OK || status > SPOOL_INTERNAL) return "Unknown";
  return spool::status_code_name(static_cast<spool::StatusCode>(status)).data();
}

const char* spool_version(void) { return SPOOL_VERSION_STRING; }

void spool_free(void* p) { std::free(p); }

spool_str spool_str_of(const char* text) {
  return spool_str{text, text == nullptr ? 0 : std::strlen(text)};
}

spool_status spool_options_new(spool_options** out) {
  return guarded("spool_options_new", [&] {
    if (out == nullptr) return invalid("spool_options_new: out is NULL");
    *out = new spool_options();
    return SPOOL_OK;
  });
}

void spool_options_free(spool_options* options) { delete options; }

spool_status spool_options_set(spool_options* options, const char* key, const char* value) {
  return guarded("spool_options_set", [&] {
    if (options == nullptr || key == nullptr || value == nullptr) {
      return invalid("spool_options_set: options, key and value must not be NULL");
    }
    return report(spool::capi::set_option(options->options, key, value));
  });
}

spool_status spool_open(const char* dir, const spool_options* options, spool_buffer** out) {
  return guarded("spool_open", [&] {
    if (dir == nullptr || out == nullptr) return invalid("spool_open: dir and out must not be NULL");
    *out = nullptr;
    const spool::Options defaults;
    auto opened = spool::Buffer::open(dir, options != nullptr ? options->options : defaults);
    if (!opened) return report(opened.status());
    *out = new spool_buffer{std::move(opened.value())};
    return SPOOL_OK;
  });
}

spool_status spool_close(spool_buffer* buffer) {
  return guarded("spool_close", [&] {
    if (buffer == nullptr) return SPOOL_OK;
    std::unique_ptr<spool_buffer> owned(buffer);
    const Status s = owned->buffer->shutdown();
    return report(s);
  });
}

const char* spool_role(const spool_buffer* buffer) {
  if (buffer == nullptr) return "";
  return buffer->buffer->role() == spool::Role::kWriter ? "writer" : "attached";
}

void spool_span_init(spool_span* span) {
  if (span == nullptr) return;
  std::memset(static_cast<void*>(span), 0, sizeof *span);
  span->struct_size = sizeof *span;
  span->priority = SPOOL_PRIORITY_NORMAL;
}

void spool_log_init(spool_log* log) {
  if (log == nullptr) return;
  std::memset(static_cast<void*>(log), 0, sizeof *log);
  log->struct_size = sizeof *log;
  log->priority = SPOOL_PRIORITY_NORMAL;
}

void spool_metric_init(spool_metric* metric) {
  if (metric == nullptr) return;
  std::memset(static_cast<void*>(metric), 0, sizeof *metric);
  metric->struct_size = sizeof *metric;
  metric->priority = SPOOL_PRIORITY_NORMAL;
}

spool_status spool_append_span(spool_buffer* buffer, const spool_span* span) {
  return guarded("spool_append_span", [&] {
    if (buffer == nullptr) return invalid("spool_append_span: buffer is NULL");
    spool::Span s;
    const Status viewed = spool::capi::RecordViews::for_this_thread().span(span, &s);
    if (!viewed) return report(viewed);
    return report(buffer->buffer->append(s));
  });
}

spool_status spool_append_log(spool_buffer* buffer, const spool_log* log) {
  return guarded("spool_append_log", [&] {
    if (buffer == nullptr) return invalid("spool_append_log: buffer is NULL");
    spool::LogRecord l;
    const Status viewed = spool::capi::RecordViews::for_this_thread().log(log, &l);
    if (!viewed) return report(viewed);
    return report(buffer->buffer->append(l));
  });
}

spool_status spool_append_metric(spool_buffer* buffer, const spool_metric* metric) {
  return guarded("spool_append_metric", [&] {
    if (buffer == nullptr) return invalid("spool_append_metric: buffer is NULL");
    spool::Metric m;
    const Status viewed = spool::capi::RecordViews::for_this_thread().metric(metric, &m);
    if (!viewed) return report(viewed);
    return report(buffer->buffer->append(m));
  });
}

spool_status spool_append_raw(spool_buffer* buffer, spool_str type_tag, const void* data, size_t len, int priority) {
  return guarded("spool_append_raw", [&] {
    if (buffer == nullptr) return invalid("spool_append_raw: buffer is NULL");
    if (data == nullptr && len != 0) return invalid("spool_append_raw: data is NULL with a length of " + std::to_string(len));
    Status error;
    spool::RawRecord r;
    r.type_tag = type_tag.data == nullptr ? std::string_view() : std::string_view(type_tag.data, type_tag.len);
    r.data = std::span<const std::uint8_t>(static_cast<const std::uint8_t*>(data), len);
    r.priority = spool::capi::priority_of(priority, &error);
    if (!error) return report(error);
    return report(buffer->buffer->append(r));
  });
}

spool_status spool_append_encoded(spool_buffer* buffer, int kind, const void* bytes, size_t len, int priority) {
  return guarded("spool_append_encoded", [&] {
    if (buffer == nullptr) return invalid("spool_append_encoded: buffer is NULL");
    if (kind < 1 || kind > 4) return invalid("spool_append_encoded: kind " + std::to_string(kind) + " is not 1 (span) to 4 (record)");
    if (bytes == nullptr && len != 0) return invalid("spool_append_encoded: bytes is NULL with a length of " + std::to_string(len));
    Status error;
    spool::EncodedRecord r;
    r.kind = static_cast<spool::RecordKind>(kind);
    r.priority = spool::capi::priority_of(priority, &error);
    r.bytes = std::span<const std::uint8_t>(static_cast<const std::uint8_t*>(bytes), len);
    if (!error) return report(error);
    return report(buffer->buffer->append_checked(r));
  });
}

spool_status spool_flush(spool_buffer* buffer, uint32_t timeout_ms) {
  return guarded("spool_flush", [&] {
    if (buffer == nullptr) return invalid("spool_flush: buffer is NULL");
    return report(buffer->buffer->flush(timeout_ms));
  });
}

spool_status spool_sync(spool_buffer* buffer) {
  return guarded("spool_sync", [&] {
    if (buffer == nullptr) return invalid("spool_sync: buffer is NULL");
    return report(buffer->buffer->sync());
  });
}

spool_status spool_stats_json(const spool_buffer* buffer, char** json_out) {
  return guarded("spool_stats_json", [&] {
    if (buffer == nullptr || json_out == nullptr) return invalid("spool_stats_json: buffer and json_out must not be NULL");
    *json_out = nullptr;
    nlohmann::ordered_json j = {{"role", spool_role(buffer)}};
    j.update(spool::report::buffer_stats_json(buffer->buffer->stats()));
    return spool::capi::return_json(j, json_out);
  });
}

spool_status spool_forwarder_start(spool_buffer* buffer, const char* url, const char* cursor, spool_forwarder** out) {
  return guarded("spool_forwarder_start", [&] {
    if (buffer == nullptr || url == nullptr || out == nullptr) {
      return invalid("spool_forwarder_start: buffer, url and out must not be NULL");
    }
    *out = nullptr;
    spool::ForwarderOptions options;
    if (cursor != nullptr) options.cursor = cursor;
    auto sink = spool::capi::sink_for_url(url, 0600);
    if (!sink) return report(sink.status());
    auto started = spool::Forwarder::start(*buffer->buffer, std::move(sink.value()), options);
    if (!started) return report(started.status());
    *out = new spool_forwarder{std::move(started.value())};
    return SPOOL_OK;
  });
}

spool_status spool_forwarder_stop(spool_forwarder* forwarder) {
  return guarded("spool_forwarder_stop", [&] {
    if (forwarder == nullptr) return SPOOL_OK;
    std::unique_ptr<spool_forwarder> owned(forwarder);
    return report(owned->forwarder->stop());
  });
}

spool_status spool_forwarder_stats_json(const spool_forwarder* forwarder, char** json_out) {
  return guarded("spool_forwarder_stats_json", [&] {
    if (forwarder == nullptr || json_out == nullptr) {
      return invalid("spool_forwarder_stats_json: forwarder and json_out must not be NULL");
    }
    *json_out = nullptr;
    return spool::capi::return_json(spool::report::forwarder_stats_json(forwarder->forwarder->stats()), json_out);
  });
}

}  // extern "C"

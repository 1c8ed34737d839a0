/* spool's C API: C99, opaque handles, no exception crosses it.
 *
 *   spool_options* o = NULL;
 *   spool_options_new(&o);
 *   spool_options_set(o, "full_policy", "block");          // every option by name, as text
 *   spool_buffer* b = NULL;
 *   if (spool_open("/var/spool/telemetry", o, &b) != SPOOL_OK) puts(spool_last_error());
 *   spool_options_free(o);
 *   spool_span s;
 *   spool_span_init(&s);
 *   s.name = spool_str_of("llm-call");
 *   spool_append_span(b, &s);
 *   spool_flush(b, 0);
 *   spool_close(b);                                        // drains, syncs, frees
 *
 * Every call that can fail returns a spool_status; on failure spool_last_error() gives the
 * reason (a message owned by the calling thread, valid until its next spool call).
 *
 * ABI: handles are opaque; options are set by name (new options add names, not symbols);
 * record structs start with `struct_size`, set by their spool_*_init function, so fields
 * added at the end later are read only from callers that know them. Strings are pointer +
 * length views (not NUL-terminated) that must stay valid for the duration of the call.
 *
 * Threads: one spool_buffer may be used by any number of threads at once (appends are
 * lock-free); spool_close must not race other calls on the same buffer. Processes: a second
 * process that opens the same directory attaches to the first one's log (role "attached").
 * fork(): a child must open a buffer of its own; calls on the parent's return
 * SPOOL_FORK_CHILD.
 *
 * Linking: libspool.so (SONAME libspool.so.0; only spool_* symbols are exported) or
 * libspool.a (then also link the C++ runtime and spool's dependencies: pkg-config --static).
 */
#ifndef SPOOL_SPOOL_H_
#define SPOOL_SPOOL_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define SPOOL_EXPORT __attribute__((visibility("default")))
#else
#define SPOOL_EXPORT
#endif

/* ---- Status ---------------------------------------------------------------------------- */

typedef enum spool_status {
  SPOOL_OK = 0,
  SPOOL_INVALID_ARGUMENT = 1,  /* unusable argument: bad option, NULL handle, oversized record */
  SPOOL_NOT_FOUND = 2,
  SPOOL_LOCKED = 3,            /* another process holds the log (role "writer" was asked for) */
  SPOOL_CORRUPTION = 4,
  SPOOL_IO_ERROR = 5,
  SPOOL_NO_SPACE = 6,
  SPOOL_UNAVAILABLE = 7,
  SPOOL_CLOSED = 8,            /* the buffer was shut down */
  SPOOL_FULL = 9,              /* no room: dropped per the full-queue policy (counted) */
  SPOOL_TIMED_OUT = 10,        /* a wait ran out (policy block, flush with a timeout) */
  SPOOL_FORK_CHILD = 11,       /* called in a child of the process that opened the buffer */
  SPOOL_PERMISSION_DENIED = 12,
  SPOOL_INTERNAL = 13          /* a bug or out of memory inside spool; the message says which */
} spool_status;

/* The calling thread's message for its last failed spool call ("" when none). */
SPOOL_EXPORT const char* spool_last_error(void);
/* "OK", "InvalidArgument", ... */
SPOOL_EXPORT const char* spool_status_name(spool_status status);
/* The library's version, "MAJOR.MINOR.PATCH". */
SPOOL_EXPORT const char* spool_version(void);
/* Frees a string spool returned (spool_stats_json, ...). NULL is fine. */
SPOOL_EXPORT void spool_free(void* p);

/* ---- Views ----------------------------------------------------------------------------- */

typedef struct spool_str {
  const char* data;
  size_t len;
} spool_str;

/* A view of a NUL-terminated string (NULL gives the empty view). */
SPOOL_EXPORT spool_str spool_str_of(const char* text);

typedef enum spool_priority {
  SPOOL_PRIORITY_LOW = 0,
  SPOOL_PRIORITY_NORMAL = 1,
  SPOOL_PRIORITY_HIGH = 2,
  SPOOL_PRIORITY_CRITICAL = 3
} spool_priority;

typedef enum spool_attribute_type {
  SPOOL_ATTRIBUTE_STRING = 0,
  SPOOL_ATTRIBUTE_INT = 1,
  SPOOL_ATTRIBUTE_DOUBLE = 2,
  SPOOL_ATTRIBUTE_BOOL = 3
} spool_attribute_type;

typedef struct spool_attribute {
  spool_str key;
  int type; /* spool_attribute_type */
  spool_str string_value;
  int64_t int_value;
  double double_value;
  int bool_value;
} spool_attribute;

typedef struct spool_event {
  spool_str name;
  int64_t time_ns;
  const spool_attribute* attributes;
  size_t attribute_count;
} spool_event;

/* ---- Options --------------------------------------------------------------------------- */

typedef struct spool_options spool_options;

SPOOL_EXPORT spool_status spool_options_new(spool_options** out);
SPOOL_EXPORT void spool_options_free(spool_options* options);
/* Sets one option by name; the value is text ("block", "65536", "true").
 *   role                auto | writer | attach
 *   full_policy         block | drop_newest | drop_oldest | sample
 *   disk_full_policy    the same names: what the writer does at retention_bytes
 *   block_timeout_ms, queue_bytes, min_queue_bytes, producer_ring_bytes, ring_idle_release_ms,
 *   sample_above_fill (0..1), sample_keep_one_in, writer_batch_bytes, writer_spin_us,
 *   adaptive_budget (true|false), memory_check_interval_ms
 *   durability          none | interval | batch
 *   sync_interval_ms, segment_bytes, max_record_bytes, retention_bytes, retention_max_age_ms
 *   io_backend          auto | uring | pwrite
 *   file_mode, dir_mode (octal text, "0640")
 *   lane.NAME.FIELD     a lane (spool/lane_options.h), declared by its first option: FIELD is
 *                       route (terms, comma-separated: "log", "span,*@critical", "record:T"),
 *                       max_bytes, max_age_ms, segment_bytes, full_policy, disk_full_policy,
 *                       queue_bytes,
 *                       block_timeout_ms, sample_above_fill, sample_keep_one_in, durability,
 *                       sync_interval_ms or breaker_failure_threshold
 * SPOOL_INVALID_ARGUMENT names the key or the value when either is not understood. */
SPOOL_EXPORT spool_status spool_options_set(spool_options* options, const char* key, const char* value);

/* ---- Buffer ---------------------------------------------------------------------------- */

typedef struct spool_buffer spool_buffer;

/* Opens (creating if needed) the log in `dir`: as its writer when no other process holds it,
 * else attached to it (option "role"). `options` may be NULL (defaults) and may be freed
 * after the call. */
SPOOL_EXPORT spool_status spool_open(const char* dir, const spool_options* options, spool_buffer** out);
/* Stops accepting appends, drains, syncs, writes the clean-shutdown marker, frees `buffer`
 * (also when it returns an error: the first error the writer could not get past). */
SPOOL_EXPORT spool_status spool_close(spool_buffer* buffer);
/* "writer" or "attached": what this process does for the log right now. */
SPOOL_EXPORT const char* spool_role(const spool_buffer* buffer);

typedef struct spool_span {
  size_t struct_size; /* set by spool_span_init */
  uint8_t trace_id[16];
  uint8_t span_id[8];
  uint8_t parent_span_id[8]; /* all zero for a root span */
  spool_str name;
  int type;   /* 0 span, 1 generation, 2 tool, 3 retrieval, 4 event */
  spool_str component_type;
  int64_t start_ns;
  int64_t end_ns;
  int status; /* 0 unset, 1 ok, 2 error */
  spool_str status_message;
  const spool_attribute* attributes;
  size_t attribute_count;
  spool_str model;
  spool_str input;
  spool_str output;
  int64_t input_tokens;
  int64_t output_tokens;
  spool_str tool_name;
  spool_str tool_input;
  spool_str tool_output;
  const spool_event* events;
  size_t event_count;
  int priority; /* spool_priority; SPOOL_PRIORITY_NORMAL after init */
} spool_span;

typedef struct spool_log {
  size_t struct_size;
  int64_t time_ns;
  int32_t severity_number; /* OTLP 1-24, 0 unset */
  spool_str severity_text;
  spool_str body;
  const spool_attribute* attributes;
  size_t attribute_count;
  uint8_t trace_id[16]; /* optional correlation: all zero for none */
  uint8_t span_id[8];
  int priority;
} spool_log;

typedef struct spool_metric {
  size_t struct_size;
  spool_str name;
  spool_str unit;
  int kind; /* 0 gauge, 1 counter, 2 histogram */
  int64_t time_ns;
  double value;
  uint64_t count;
  double sum;
  const double* bucket_bounds;
  size_t bucket_bound_count;
  const uint64_t* bucket_counts; /* bucket_bound_count + 1 entries (the last is +inf) */
  size_t bucket_count_count;
  const spool_attribute* attributes;
  size_t attribute_count;
  int priority;
} spool_metric;

/* Zero every field, set struct_size and priority NORMAL. */
SPOOL_EXPORT void spool_span_init(spool_span* span);
SPOOL_EXPORT void spool_log_init(spool_log* log);
SPOOL_EXPORT void spool_metric_init(spool_metric* metric);

/* Queue one record. SPOOL_OK: queued. SPOOL_FULL / SPOOL_TIMED_OUT: dropped per the full-queue
 * policy (counted). SPOOL_INVALID_ARGUMENT: too large or malformed (counted). SPOOL_CLOSED:
 * after close began. */
SPOOL_EXPORT spool_status spool_append_span(spool_buffer* buffer, const spool_span* span);
SPOOL_EXPORT spool_status spool_append_log(spool_buffer* buffer, const spool_log* log);
SPOOL_EXPORT spool_status spool_append_metric(spool_buffer* buffer, const spool_metric* metric);
/* Opaque bytes with an application-defined type tag ("prediction"). */
SPOOL_EXPORT spool_status spool_append_raw(spool_buffer* buffer, spool_str type_tag, const void* data, size_t len,
                                           int priority);
/* A record serialized elsewhere (FlatBuffers table of include/spool/records.fbs; kind 1 span,
 * 2 log, 3 metric, 4 raw record): verified before it is queued. */
SPOOL_EXPORT spool_status spool_append_encoded(spool_buffer* buffer, int kind, const void* bytes, size_t len,
                                               int priority);

/* Returns when every record this process appended before the call is in the log (and synced
 * in durability "batch"); SPOOL_TIMED_OUT after timeout_ms (0: no limit). */
SPOOL_EXPORT spool_status spool_flush(spool_buffer* buffer, uint32_t timeout_ms);
/* fdatasync now, whatever the durability mode, after a flush. */
SPOOL_EXPORT spool_status spool_sync(spool_buffer* buffer);
/* The buffer's counters as one JSON object (free with spool_free): appended, written,
 * dropped (by reason), queue_depth, committed_offset, role, ... */
SPOOL_EXPORT spool_status spool_stats_json(const spool_buffer* buffer, char** json_out);

/* ---- Forwarder ------------------------------------------------------------------------- */

typedef struct spool_forwarder spool_forwarder;

/* Starts forwarding the buffer's log to `url` under the cursor `cursor` (NULL: "default"):
 *   http://HOST:PORT[/prefix], https://...   OTLP/HTTP (protobuf, zstd); headers from
 *                                            OTEL_EXPORTER_OTLP_HEADERS
 *   kafka://HOST:PORT[,...]/TOPIC[?P=V&...]  Kafka, a message per record ("{kind}" in TOPIC:
 *                                            a topic per kind; P=V: librdkafka properties)
 *   file:PATH, jsonl:PATH                    one JSON object per line, fsync'd per batch
 * The buffer must outlive the forwarder. */
SPOOL_EXPORT spool_status spool_forwarder_start(spool_buffer* buffer, const char* url, const char* cursor,
                                                spool_forwarder** out);
/* Stops (one last delivery within its stop timeout), persists the cursor, frees. */
SPOOL_EXPORT spool_status spool_forwarder_stop(spool_forwarder* forwarder);
/* Delivered, failed, dead-lettered, cursor, lag, circuit state, ... as JSON (spool_free). */
SPOOL_EXPORT spool_status spool_forwarder_stats_json(const spool_forwarder* forwarder, char** json_out);

/* ---- Reading a log (spool::Reader, include/spool/reader.h) ------------------------------ */

typedef struct spool_reader spool_reader;

/* A record as a scan hands it to its visitor. Every pointer is a view into the log, valid only
 * during that call: copy what you keep. */
typedef struct spool_stored_record {
  uint64_t offset;
  int64_t timestamp_ns; /* buffered at (ns since the Unix epoch) */
  int kind;             /* 0 raw, 1 span, 2 log, 3 metric, 4 record (later versions may add) */
  int priority;         /* spool_priority */
  const void* payload;  /* the frame payload (a records.fbs table for kinds 1-4) */
  size_t payload_len;
  spool_str record_type; /* kind 4: its type tag ("checkpoint"); empty otherwise */
  const void* data;      /* kind 4: its data */
  size_t data_len;
} spool_stored_record;

/* Which records a scan visits; spool_read_selection_init selects every record. */
typedef struct spool_read_selection {
  uint64_t from_offset;  /* inclusive */
  uint64_t until_offset; /* exclusive; UINT64_MAX: to the end */
  int64_t from_ns;       /* from the first record buffered at or after it; INT64_MIN: no bound */
  int64_t until_ns;      /* to the first record buffered at or after it; INT64_MAX: no bound */
  int kind;              /* -1: every kind */
  spool_str record_type; /* non-empty: only kind 4 records of this type */
} spool_read_selection;

/* Returns 0 to go on, nonzero to stop the scan (which then returns SPOOL_OK). */
typedef int (*spool_record_visitor)(const spool_stored_record* record, void* context);

/* Opens the log in `dir` read-only (no lock, nothing written: safe beside a live writer). */
SPOOL_EXPORT spool_status spool_reader_open(const char* dir, spool_reader** out);
/* Frees the reader. NULL is fine. */
SPOOL_EXPORT void spool_reader_close(spool_reader* reader);
SPOOL_EXPORT void spool_read_selection_init(spool_read_selection* selection);
/* Visits the selected records in offset order (what was committed when the scan started). */
SPOOL_EXPORT spool_status spool_reader_scan(spool_reader* reader,
                                            const spool_read_selection* selection,
                                            spool_record_visitor visit, void* context);
/* Visits the newest kind 4 record of `record_type` once; SPOOL_NOT_FOUND when there is none. */
SPOOL_EXPORT spool_status spool_reader_latest(spool_reader* reader, spool_str record_type,
                                              spool_record_visitor visit, void* context);

#ifdef __cplusplus
}
#endif

#endif /* SPOOL_SPOOL_H_ */

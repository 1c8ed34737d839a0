/* A program outside spool's tree, built against an installed spool (tests/install/install_test.sh):
 * opens a log, appends spans, flushes, reads the stats JSON, closes, and checks the counts.
 *
 *   spool_consumer DIR N       exit 0 when the log took all N spans
 *
 * Only <spool/spool.h> and the C library: whatever it needs beyond that must come from the
 * installed package's CMake or pkg-config files. */
#include <spool/spool.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(const char* call, spool_status s) {
  fprintf(stderr, "spool_consumer: %s: %s: %s\n", call, spool_status_name(s), spool_last_error());
  return 1;
}

#define CHECK(call)                                                    \
  do {                                                                 \
    spool_status check_status_ = (call);                               \
    if (check_status_ != SPOOL_OK) return fail(#call, check_status_);  \
  } while (0)

/* The number after "key": in a flat JSON object; -1 when the key is not there. */
static long json_count(const char* json, const char* key) {
  char quoted[64];
  const char* at;
  snprintf(quoted, sizeof quoted, "\"%s\":", key);
  at = strstr(json, quoted);
  return at == NULL ? -1 : strtol(at + strlen(quoted), NULL, 10);
}

int main(int argc, char** argv) {
  spool_options* options = NULL;
  spool_buffer* buffer = NULL;
  spool_span span;
  char* json = NULL;
  long n;
  long i;
  long appended;
  long written;
  long dropped;

  if (argc != 3) {
    fprintf(stderr, "usage: spool_consumer DIR N\n");
    return 2;
  }
  n = strtol(argv[2], NULL, 10);

  CHECK(spool_options_new(&options));
  CHECK(spool_options_set(options, "full_policy", "block"));
  CHECK(spool_options_set(options, "block_timeout_ms", "60000"));
  CHECK(spool_open(argv[1], options, &buffer));
  spool_options_free(options);

  for (i = 0; i < n; ++i) {
    spool_span_init(&span);
    memset(span.trace_id, 0x22, sizeof span.trace_id);
    span.span_id[7] = (uint8_t)(i % 255 + 1);
    span.name = spool_str_of("installed-consumer");
    span.start_ns = 1700000000000000000LL + (int64_t)i;
    span.end_ns = span.start_ns + 1000;
    CHECK(spool_append_span(buffer, &span));
  }
  CHECK(spool_flush(buffer, 60000));

  CHECK(spool_stats_json(buffer, &json));
  appended = json_count(json, "appended");
  written = json_count(json, "written");
  dropped = json_count(json, "dropped_total");
  if (appended != n || written != n || dropped != 0) {
    fprintf(stderr, "spool_consumer: expected %ld appended and written, 0 dropped; stats: %s\n", n, json);
    spool_free(json);
    spool_close(buffer);
    return 1;
  }
  printf("spool_consumer: libspool %s, %ld spans written to %s\n", spool_version(), written, argv[1]);
  spool_free(json);
  CHECK(spool_close(buffer));
  return 0;
}

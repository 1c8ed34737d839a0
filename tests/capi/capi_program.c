/* A C99 program on spool's C API (built with -std=c99 -Wall -Werror): appends N spans, each
 * with the attributes producer = "c<pid>" and seq = 0, 1, ..., plus one log, one metric and one
 * raw record, flushes, checks the counters, and prints the stats JSON.
 *
 *   capi_program DIR N        exit 0 when every call did what the API promises
 *
 * Each failure prints the call, its status name and spool_last_error(), and exits non-zero. */
#include <spool/spool.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int fail(const char* call, spool_status s) {
  fprintf(stderr, "capi_program: %s: %s: %s\n", call, spool_status_name(s), spool_last_error());
  return 1;
}

#define CHECK(call)                                 \
  do {                                              \
    spool_status check_status_ = (call);            \
    if (check_status_ != SPOOL_OK) return fail(#call, check_status_); \
  } while (0)

int main(int argc, char** argv) {
  spool_options* options = NULL;
  spool_buffer* buffer = NULL;
  spool_status s;
  char producer[32];
  char* json = NULL;
  unsigned long n;
  unsigned long i;
  spool_attribute attributes[3];
  spool_span span;
  spool_log log;
  spool_metric metric;
  static const char prediction[] = {1, 2, 3, 4};

  if (argc != 3) {
    fprintf(stderr, "usage: capi_program DIR N\n");
    return 2;
  }
  n = strtoul(argv[2], NULL, 10);
  snprintf(producer, sizeof producer, "c%ld", (long)getpid());

  CHECK(spool_options_new(&options));
  CHECK(spool_options_set(options, "full_policy", "block"));
  CHECK(spool_options_set(options, "block_timeout_ms", "60000"));
  /* Bad input is refused with a message naming it; the options are unchanged. */
  s = spool_options_set(options, "no_such_option", "1");
  if (s != SPOOL_INVALID_ARGUMENT || strstr(spool_last_error(), "no_such_option") == NULL) {
    return fail("spool_options_set(no_such_option)", s);
  }
  s = spool_options_set(options, "full_policy", "sometimes");
  if (s != SPOOL_INVALID_ARGUMENT || strstr(spool_last_error(), "sometimes") == NULL) {
    return fail("spool_options_set(full_policy, sometimes)", s);
  }
  CHECK(spool_open(argv[1], options, &buffer));
  spool_options_free(options);
  if (strcmp(spool_role(buffer), "writer") != 0 && strcmp(spool_role(buffer), "attached") != 0) {
    fprintf(stderr, "capi_program: role '%s'\n", spool_role(buffer));
    return 1;
  }

  memset(attributes, 0, sizeof attributes);
  attributes[0].key = spool_str_of("producer");
  attributes[0].type = SPOOL_ATTRIBUTE_STRING;
  attributes[0].string_value = spool_str_of(producer);
  attributes[1].key = spool_str_of("seq");
  attributes[1].type = SPOOL_ATTRIBUTE_INT;
  attributes[2].key = spool_str_of("cached");
  attributes[2].type = SPOOL_ATTRIBUTE_BOOL;
  attributes[2].bool_value = 1;

  for (i = 0; i < n; ++i) {
    spool_span_init(&span);
    memset(span.trace_id, 0x11, sizeof span.trace_id);
    span.span_id[7] = (uint8_t)(i % 255 + 1);
    span.name = spool_str_of("llm-call");
    span.type = 1; /* generation */
    span.start_ns = 1700000000000000000LL + (int64_t)i;
    span.end_ns = span.start_ns + 1000;
    span.model = spool_str_of("small-model");
    span.input = spool_str_of("What is spool?");
    span.output = spool_str_of("A store-and-forward engine.");
    attributes[1].int_value = (int64_t)i;
    span.attributes = attributes;
    span.attribute_count = 3;
    CHECK(spool_append_span(buffer, &span));
  }

  spool_log_init(&log);
  log.time_ns = 1700000000000000000LL;
  log.severity_number = 9;
  log.severity_text = spool_str_of("INFO");
  log.body = spool_str_of("hello from C");
  CHECK(spool_append_log(buffer, &log));

  spool_metric_init(&metric);
  metric.name = spool_str_of("requests");
  metric.unit = spool_str_of("1");
  metric.kind = 1; /* counter */
  metric.value = 42;
  CHECK(spool_append_metric(buffer, &metric));

  CHECK(spool_append_raw(buffer, spool_str_of("prediction"), prediction, sizeof prediction, SPOOL_PRIORITY_HIGH));

  /* Malformed input is refused, not queued. */
  s = spool_append_encoded(buffer, 1, prediction, sizeof prediction, SPOOL_PRIORITY_NORMAL);
  if (s != SPOOL_INVALID_ARGUMENT) return fail("spool_append_encoded(garbage)", s);
  spool_span_init(&span);
  span.struct_size = 0;
  s = spool_append_span(buffer, &span);
  if (s != SPOOL_INVALID_ARGUMENT || strstr(spool_last_error(), "struct_size") == NULL) {
    return fail("spool_append_span(struct_size 0)", s);
  }

  CHECK(spool_flush(buffer, 0));
  CHECK(spool_stats_json(buffer, &json));
  printf("%s\n", json);
  spool_free(json);
  CHECK(spool_close(buffer));
  return 0;
}

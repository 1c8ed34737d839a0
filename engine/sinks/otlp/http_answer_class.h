// What an HTTP status from an OTLP/HTTP receiver means for the records of the request: the
// one table the OTLP/HTTP sink consults (http_answer_class.cc), so every status has exactly
// one meaning and the forwarder never reads error text to decide.
//
//   status                 class           forwarder
//   2xx                    kDelivered      commit (a partial_success may fail some records)
//   429, 502, 503, 504     kBusy           outage: back off, no retry used up
//   401, 403, 407          kAuth           outage + health warning sink_auth
//   3xx, 404, 405          kMisconfigured  outage + health warning sink_misconfigured
//   413                    kTooLarge       halve the records and resend; one record: dead letter
//   408, 500, 501, 505..   kServerError    retried with the retry budget (max_retries, then
//     (other 5xx)                          dead letter), or an outage (kBusy) when
//                                          OtlpHttpOptions::server_errors_are_outages
//   other 4xx (400, 409,   kRefused        permanent refusal of these records: dead letter
//     415, 422, ...)
//   anything else          kServerError    not an OTLP answer: retried with the budget
//
// Why: an expired token (401/403), a wrong path (404/405) or a redirect to somewhere else
// (3xx, not followed) says nothing about the records; dead-lettering them would copy the
// whole stream aside. 408 is the server's timeout, not a verdict on the body.
#pragma once

#include <cstdint>

#include "spool/sink.h"

namespace spool::engine {

enum class HttpAnswerClass : std::uint8_t {
  kDelivered,
  kBusy,
  kAuth,
  kMisconfigured,
  kTooLarge,
  kServerError,
  kRefused,
};

HttpAnswerClass classify_http_status(long status) noexcept;

// The outage a class stands for (kNone for kDelivered, kTooLarge, kRefused, and for
// kServerError unless `server_errors_are_outages`).
SinkOutage outage_of(HttpAnswerClass c, bool server_errors_are_outages) noexcept;

}  // namespace spool::engine

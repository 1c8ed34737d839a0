#include "engine/sinks/otlp/http_answer_class.h"

namespace spool::engine {

HttpAnswerClass classify_http_status(long status) noexcept {
  if (status >= 200 && status < 300) return HttpAnswerClass::kDelivered;
  if (status >= 300 && status < 400) return HttpAnswerClass::kMisconfigured;
  switch (status) {
    case 429: case 502: case 503: case 504: return HttpAnswerClass::kBusy;
    case 401: case 403: case 407: return HttpAnswerClass::kAuth;
    case 404: case 405: return HttpAnswerClass::kMisconfigured;
    case 413: return HttpAnswerClass::kTooLarge;
    case 408: return HttpAnswerClass::kServerError;
    default: break;
  }
  if (status >= 400 && status < 500) return HttpAnswerClass::kRefused;
  return HttpAnswerClass::kServerError;  // other 5xx, and 1xx/others that are no OTLP answer
}

SinkOutage outage_of(HttpAnswerClass c, bool server_errors_are_outages) noexcept {
  switch (c) {
    case HttpAnswerClass::kBusy: return SinkOutage::kBusy;
    case HttpAnswerClass::kAuth: return SinkOutage::kAuth;
    case HttpAnswerClass::kMisconfigured: return SinkOutage::kMisconfigured;
    case HttpAnswerClass::kServerError:
      return server_errors_are_outages ? SinkOutage::kBusy : SinkOutage::kNone;
    case HttpAnswerClass::kDelivered:
    case HttpAnswerClass::kTooLarge:
    case HttpAnswerClass::kRefused: return SinkOutage::kNone;
  }
  return SinkOutage::kNone;
}

}  // namespace spool::engine

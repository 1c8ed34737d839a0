// The OTLP/protobuf request decoder: Export{Trace,Logs,Metrics}ServiceRequest bytes -> one
// records.fbs record per span, log record and data point, kept in an OtlpRecordStore.
// Behind decode_otlp_request (otlp_request_decoder.h), which says what is kept and refused.
#pragma once

#include <string_view>

#include "engine/ingest/otlp_record_store.h"
#include "engine/sinks/otlp/otlp_mapping.h"
#include "spool/status.h"

namespace spool::engine {

// Appends the request's records to `store` (not sealed); an error when `body` is not a
// well-formed request of `signal`.
Status decode_otlp_protobuf_request(OtlpSignal signal, std::string_view body, OtlpRecordStore& store);

}  // namespace spool::engine

// A sink that redacts every record (spool/redaction.h) before the sink it wraps sees it:
//
//   auto otlp = spool::make_otlp_http_sink({.endpoint = "https://collector:4318"});
//   auto rules = spool::parse_redaction_rules("input,output:hash,user.*");
//   auto sink = spool::make_redacting_sink(std::move(*otlp), {.rules = *rules, .hash_key = key});
//   auto fwd = spool::Forwarder::start(*buffer, std::move(*sink), {.cursor = "otlp"});
//
// Each record a rule applies to is rebuilt as a redacted copy (a FlatBuffers table of the same
// kind, which verifies like the original); records no rule touches are passed as they are.
// Offsets, timestamps, kinds, priorities, the batch's log id and offsets, and the wrapped
// sink's FlushResult are unchanged, so idempotency keys, retries and dead letters work as
// without redaction (dead letters keep the original record: they stay on this machine).
//
// The native compressed batch: the forwarder compresses the records it read, unredacted, so
// this sink never asks for it (wants_compressed_batch() is false) and, when the wrapped sink
// wants it, encodes and compresses the redacted records itself (RedactionOptions::zstd_level,
// without the forwarder's dictionary, which was trained on unredacted records:
// ForwardBatch::dictionary_id is 0).
//
// Left as they are: raw frames (RecordKind::kRawFrame) and kinds this version does not know,
// which are bytes without fields to name. A record of a table kind whose payload is not a
// valid table is passed with an empty payload (nothing of it leaves; the sinks refuse it as
// malformed, as they would have refused the original).
//
// name() and configuration_warnings() are the wrapped sink's.
#pragma once

#include <memory>

#include "spool/redaction.h"
#include "spool/sink.h"
#include "spool/status.h"

namespace spool {

// InvalidArgument when validate(options) refuses them; `sink` itself when there are no rules.
Result<std::unique_ptr<Sink>> make_redacting_sink(std::unique_ptr<Sink> sink,
                                                  RedactionOptions options);

}  // namespace spool

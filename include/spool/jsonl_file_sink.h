// A sink that appends every record to a local file as one JSON object per line (JSON Lines):
// for debugging, for air-gapped hosts whose files are collected by other means, and as a
// baseline any tool can read.
//
// Each line: {"key": idempotency key, "log_id": "<16 hex>", "offset": n, "kind": "span",
// "priority": "normal", "timestamp_ns": n, "record": <the record as OTLP/JSON: a Span, a
// LogRecord or a Metric, as the OTLP/HTTP sink would send it>}. A record whose payload is not a
// valid table of its kind gets "record": null and "error": "<why>" instead (it is still
// written: the file is where it can be looked at).
//
// Delivery: a batch's lines are written together; a failed write is rolled back (the file is
// truncated to where the batch started, so no torn line is left) and answered as a retryable
// failure. With fsync_each_batch the data is on disk before the batch counts as delivered.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>

#include "spool/sink.h"
#include "spool/status.h"

namespace spool {

// Opens `path` for appending; a path that cannot be opened for writing is an error naming it
// and the OS's reason. A file it creates gets exactly `file_mode` (private by default, like
// the log it forwards: the lines hold the records); an existing regular file owned by another
// user is refused (PermissionDenied). Non-regular files (/dev/stdout, a FIFO) work too,
// without the roll-back and the fsync.
Result<std::unique_ptr<Sink>> make_jsonl_file_sink(std::string path, bool fsync_each_batch = true,
                                                   mode_t file_mode = 0600);

}  // namespace spool

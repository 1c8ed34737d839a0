// A sink that hands every batch to a function: for tests, for embedding spool in a program
// that ships data its own way, and for adapters to transports spool does not have.
//
//   auto sink = spool::make_callback_sink([](const spool::ForwardBatch& batch) {
//     for (const spool::ForwardRecord& r : batch.records) ship(r.payload);
//     return spool::FlushResult::succeeded();
//   });
//
// The function runs on the forwarder's thread, one batch at a time; the batch's payloads are
// valid only until it returns (copy what must outlive the call).
#pragma once

#include <functional>
#include <memory>

#include "spool/sink.h"

namespace spool {

// wants_compressed: fill ForwardBatch::compressed (spool's native zstd batch encoding) for
// the function, e.g. to store or send batches as they are.
std::unique_ptr<Sink> make_callback_sink(std::function<FlushResult(const ForwardBatch&)> fn,
                                         bool wants_compressed = false);

}  // namespace spool

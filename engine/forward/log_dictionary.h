// The zstd dictionary of a log directory (<dir>/zstd.dict): loaded if present, otherwise
// trained on the log's own records and saved, so every batch of this log compresses with
// the same dictionary (a receiver fetches it once, by its id). When a dictionary is deleted
// (it must not outlive the records it was trained on) is engine/produce/dictionary_retention.h.
#pragma once

#include "engine/forward/batch_compressor.h"
#include "engine/produce/dictionary_retention.h"
#include "segment/segment_log.h"
#include "spool/forwarder_options.h"

namespace spool::engine {

// Samples up to this many records (from the start of the log) for training.
inline constexpr std::size_t kDictionarySamples = 4096;

// OK with the dictionary set on `compressor`; an error (too few records, ...) leaves the
// compressor without one. A dictionary that outlived its records is deleted first.
Status load_or_train_dictionary(const segment::SegmentLog& log, const CompressionOptions& options,
                                BatchCompressor* compressor);

}  // namespace spool::engine

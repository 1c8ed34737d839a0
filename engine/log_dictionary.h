// The zstd dictionary of a log directory (<dir>/zstd.dict): loaded if present, otherwise
// trained on the log's own records and saved, so every batch of this log compresses with
// the same dictionary (a receiver fetches it once, by its id).
//
// A trained dictionary holds verbatim pieces of the records it was trained on, so it must not
// outlive them. Beside it, <dir>/zstd.dict.trained records the newest offset it was trained
// on, as two lines of ASCII text:
//
//   spool-dict-trained 1\n
//   last_offset <decimal, no leading zero>\n
//
// Once retention has removed that offset (the log's first offset is past it) the dictionary
// is deleted, and the next forwarder to start trains a new one on the records still there.
// zstd.dict itself stays exactly what zstd writes (`zstd -D zstd.dict` reads the batches).
// A dictionary without a valid zstd.dict.trained (written before this rule, or a crash
// between the two files) is of unknown provenance and is deleted the same way.
// Order: zstd.dict.trained is written before zstd.dict, and zstd.dict deleted before it.
#pragma once

#include <optional>

#include "engine/batch_compressor.h"
#include "segment/segment_log.h"
#include "spool/forwarder_options.h"

namespace spool::engine {

// Samples up to this many records (from the start of the log) for training.
inline constexpr std::size_t kDictionarySamples = 4096;
inline constexpr const char* kDictionaryTrainedFileName = "zstd.dict.trained";

// OK with the dictionary set on `compressor`; an error (too few records, ...) leaves the
// compressor without one. A dictionary that outlived its records is deleted first.
Status load_or_train_dictionary(const segment::SegmentLog& log, const CompressionOptions& options,
                                BatchCompressor* compressor);

// The newest offset the dictionary in `log_dir` was trained on; nullopt when
// zstd.dict.trained is missing or not valid.
std::optional<std::uint64_t> dictionary_trained_through(const std::string& log_dir);

// Deletes <log_dir>/zstd.dict (and its zstd.dict.trained) when the log no longer holds the
// newest record it was trained on (`first_offset` is past it) or that offset is unknown.
// Returns whether it deleted one; nothing to do is OK.
Result<bool> forget_expired_dictionary(const std::string& log_dir, std::uint64_t first_offset);

// Makes every retention pass of `log` call forget_expired_dictionary, and calls it once now.
void tie_dictionary_to_retention(segment::SegmentLog& log);

}  // namespace spool::engine

// The lifetime of a log directory's zstd dictionary files, apart from zstd itself: the writer
// thread deletes a dictionary that outlived its records, and it must not need zstd (or the
// forwarding room) to do so. Training and loading are engine/forward/log_dictionary.h.
//
// A trained dictionary holds verbatim pieces of the records it was trained on, so it must not
// outlive them. Beside <dir>/zstd.dict, <dir>/zstd.dict.trained records the newest offset it
// was trained on, as two lines of ASCII text:
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

#include <cstdint>
#include <optional>
#include <string>

#include "segment/segment_log.h"
#include "spool/status.h"

namespace spool::engine {

inline constexpr const char* kDictionaryFileName = "zstd.dict";
inline constexpr const char* kDictionaryTrainedFileName = "zstd.dict.trained";

// "<log_dir>/zstd.dict".
std::string dictionary_path(const std::string& log_dir);

// The contents of zstd.dict.trained for a dictionary trained through `offset`.
std::string encode_dictionary_trained_through(std::uint64_t offset);

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

#include "engine/forward/log_dictionary.h"

#include <vector>

#include "io/errno_status.h"
#include "io/file.h"

namespace spool::engine {

Status load_or_train_dictionary(const segment::SegmentLog& log, const CompressionOptions& options,
                                BatchCompressor* compressor) {
  const std::string path = dictionary_path(log.dir());
  if (auto forgotten = forget_expired_dictionary(log.dir(), log.first_offset()); !forgotten) {
    return forgotten.status();
  }
  Status loaded = compressor->load_dictionary(path);
  if (loaded.is_ok() || loaded.code() != StatusCode::kNotFound) return loaded;
  std::vector<segment::RecordView> views;
  segment::LogReader reader = log.scan(log.first_offset());
  segment::RecordView view;
  while (views.size() < kDictionarySamples && reader.next(&view)) views.push_back(view);
  std::vector<std::span<const std::uint8_t>> samples;
  samples.reserve(views.size());
  for (const auto& v : views) samples.push_back(v.payload);
  auto dictionary = BatchCompressor::train_dictionary(samples, options.dictionary_bytes);
  if (!dictionary) return dictionary.status();
  if (Status s = compressor->set_dictionary(*dictionary); !s) return s;
  const mode_t mode = log.options().file_mode;
  const std::string trained = encode_dictionary_trained_through(views.back().offset);
  int rc = io::write_file_atomically(log.dir(), kDictionaryTrainedFileName, trained.data(), trained.size(),
                                     /*durable=*/true, mode);
  if (rc < 0) return io::errno_status(rc, "cannot write " + log.dir() + "/" + kDictionaryTrainedFileName);
  rc = io::write_file_atomically(log.dir(), kDictionaryFileName, dictionary->data(), dictionary->size(),
                                 /*durable=*/true, mode);
  if (rc < 0) return io::errno_status(rc, "cannot write zstd dictionary " + path);
  return Status::ok();
}

}  // namespace spool::engine

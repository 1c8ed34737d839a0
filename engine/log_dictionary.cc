#include "engine/log_dictionary.h"

#include <vector>

namespace spool::engine {

Status load_or_train_dictionary(const segment::SegmentLog& log, const CompressionOptions& options,
                                BatchCompressor* compressor) {
  const std::string path = BatchCompressor::dictionary_path(log.dir());
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
  return compressor->save_dictionary(path);
}

}  // namespace spool::engine

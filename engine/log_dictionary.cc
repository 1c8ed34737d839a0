#include "engine/log_dictionary.h"

#include <errno.h>

#include <charconv>
#include <cstring>
#include <vector>

#include "io/file.h"

namespace spool::engine {

namespace {

constexpr std::string_view kTrainedHeader = "spool-dict-trained 1\nlast_offset ";

std::string encode_trained_through(std::uint64_t offset) {
  return std::string(kTrainedHeader) + std::to_string(offset) + "\n";
}

std::optional<std::uint64_t> decode_trained_through(std::string_view text) {
  if (!text.starts_with(kTrainedHeader) || !text.ends_with('\n')) return std::nullopt;
  const std::string_view digits = text.substr(kTrainedHeader.size(), text.size() - kTrainedHeader.size() - 1);
  if (digits.empty() || digits.size() > 20 || (digits.size() > 1 && digits[0] == '0')) return std::nullopt;
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
  if (ec != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  return v;
}

Status file_status(int rc, const std::string& what) {
  if (rc == -ENOSPC || rc == -EDQUOT) return Status::no_space(what + ": " + std::strerror(-rc));
  return Status::io_error(what + ": " + std::strerror(-rc));
}

}  // namespace

std::optional<std::uint64_t> dictionary_trained_through(const std::string& log_dir) {
  std::string text;
  if (io::read_small_file(log_dir + "/" + kDictionaryTrainedFileName, &text, 128) < 0) return std::nullopt;
  return decode_trained_through(text);
}

Result<bool> forget_expired_dictionary(const std::string& log_dir, std::uint64_t first_offset) {
  const std::string dict = BatchCompressor::dictionary_path(log_dir);
  const std::optional<std::uint64_t> through = dictionary_trained_through(log_dir);
  if (through && *through >= first_offset) return false;  // its newest record is still here
  int rc = io::remove_path(dict);
  if (rc < 0 && rc != -ENOENT) return file_status(rc, "delete expired zstd dictionary " + dict);
  const bool deleted = rc == 0;
  rc = io::remove_path(log_dir + "/" + kDictionaryTrainedFileName);
  if (rc < 0 && rc != -ENOENT) return file_status(rc, "delete " + log_dir + "/" + kDictionaryTrainedFileName);
  return deleted;
}

void tie_dictionary_to_retention(segment::SegmentLog& log) {
  const std::string dir = log.dir();
  // Best effort: a dictionary that could not be deleted now is deleted at the next pass or
  // the next forwarder start.
  log.set_retention_observer([dir](std::uint64_t first_offset) { (void)forget_expired_dictionary(dir, first_offset); });
  (void)forget_expired_dictionary(dir, log.first_offset());
}

Status load_or_train_dictionary(const segment::SegmentLog& log, const CompressionOptions& options,
                                BatchCompressor* compressor) {
  const std::string path = BatchCompressor::dictionary_path(log.dir());
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
  const std::string trained = encode_trained_through(views.back().offset);
  int rc = io::write_file_atomically(log.dir(), kDictionaryTrainedFileName, trained.data(), trained.size(),
                                     /*durable=*/true, mode);
  if (rc < 0) return file_status(rc, "cannot write " + log.dir() + "/" + kDictionaryTrainedFileName);
  rc = io::write_file_atomically(log.dir(), BatchCompressor::kDictionaryFileName, dictionary->data(),
                                 dictionary->size(), /*durable=*/true, mode);
  if (rc < 0) return file_status(rc, "cannot write zstd dictionary " + path);
  return Status::ok();
}

}  // namespace spool::engine

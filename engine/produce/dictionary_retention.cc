#include "engine/produce/dictionary_retention.h"

#include <errno.h>

#include <charconv>
#include <string_view>

#include "io/errno_status.h"
#include "io/file.h"

namespace spool::engine {

namespace {

constexpr std::string_view kTrainedHeader = "spool-dict-trained 1\nlast_offset ";

std::optional<std::uint64_t> decode_trained_through(std::string_view text) {
  if (!text.starts_with(kTrainedHeader) || !text.ends_with('\n')) return std::nullopt;
  const std::string_view digits = text.substr(kTrainedHeader.size(), text.size() - kTrainedHeader.size() - 1);
  if (digits.empty() || digits.size() > 20 || (digits.size() > 1 && digits[0] == '0')) return std::nullopt;
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
  if (ec != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  return v;
}

}  // namespace

std::string dictionary_path(const std::string& log_dir) { return log_dir + "/" + kDictionaryFileName; }

std::string encode_dictionary_trained_through(std::uint64_t offset) {
  return std::string(kTrainedHeader) + std::to_string(offset) + "\n";
}

std::optional<std::uint64_t> dictionary_trained_through(const std::string& log_dir) {
  std::string text;
  if (io::read_small_file(log_dir + "/" + kDictionaryTrainedFileName, &text, 128) < 0) return std::nullopt;
  return decode_trained_through(text);
}

Result<bool> forget_expired_dictionary(const std::string& log_dir, std::uint64_t first_offset) {
  const std::string dict = dictionary_path(log_dir);
  const std::optional<std::uint64_t> through = dictionary_trained_through(log_dir);
  if (through && *through >= first_offset) return false;  // its newest record is still here
  int rc = io::remove_path(dict);
  if (rc < 0 && rc != -ENOENT) return io::errno_status(rc, "delete expired zstd dictionary " + dict);
  const bool deleted = rc == 0;
  rc = io::remove_path(log_dir + "/" + kDictionaryTrainedFileName);
  if (rc < 0 && rc != -ENOENT) return io::errno_status(rc, "delete " + log_dir + "/" + kDictionaryTrainedFileName);
  return deleted;
}

void tie_dictionary_to_retention(segment::SegmentLog& log) {
  const std::string dir = log.dir();
  // Best effort: a dictionary that could not be deleted now is deleted at the next pass or
  // the next forwarder start.
  log.set_retention_observer([dir](std::uint64_t first_offset) { (void)forget_expired_dictionary(dir, first_offset); });
  (void)forget_expired_dictionary(dir, log.first_offset());
}

}  // namespace spool::engine

// BatchCompressor: zstd compression of native batches (engine/forward/native_batch.h) for
// ForwardBatch::compressed, with an optional dictionary trained on the log's own records.
//
// The compression context (and the digested dictionary, a ZSTD_CDict) is made once and
// reused for every batch, and the output goes to an internal buffer that only grows: a
// steady forwarder allocates nothing per batch. Frames carry their content size, a
// checksum, and the dictionary id (0 = none), so a receiver knows which dictionary to use.
//
// Dictionary file: <log dir>/zstd.dict (engine/produce/dictionary_retention.h) holds the dictionary exactly as zstd writes it (magic
// 0xEC30A437, dictionary id, entropy tables, content), so `zstd -D zstd.dict -d` reads the
// batches too. It is replaced atomically (temp file, fsync, rename, directory fsync).
//
// Not thread-safe: one per forwarder thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "spool/status.h"

namespace spool::engine {

class BatchCompressor {
 public:
  // train_dictionary() refuses fewer samples than this: ZDICT needs enough distinct samples
  // to find what they share, and a dictionary from a handful of records overfits.
  static constexpr std::size_t kMinTrainingSamples = 8;

  // `level` must pass validate(CompressionOptions). Creating the context allocates; like
  // any allocation failure, that is not recoverable here.
  explicit BatchCompressor(int level);
  ~BatchCompressor();
  BatchCompressor(BatchCompressor&&) noexcept;
  BatchCompressor& operator=(BatchCompressor&&) noexcept;

  // Compresses `input` as one zstd frame (with the dictionary, if one is set). The span
  // points into the compressor's buffer and stays valid until the next compress() or
  // set_dictionary().
  Result<std::span<const std::uint8_t>> compress(std::span<const std::uint8_t> input);

  // Uses `dictionary` (a trained zstd dictionary, or raw content) for the following
  // batches; empty clears it. InvalidArgument if zstd refuses it.
  Status set_dictionary(std::span<const std::uint8_t> dictionary);
  std::span<const std::uint8_t> dictionary() const noexcept;
  // The id written into frames: 0 without a dictionary or with a raw-content one.
  std::uint32_t dictionary_id() const noexcept { return dictionary_id_; }
  int level() const noexcept { return level_; }

  // Writes the current dictionary to `path` atomically (InvalidArgument if none is set).
  Status save_dictionary(const std::string& path) const;
  // Reads and sets the dictionary at `path`: NotFound if absent; Corruption if the file is
  // not a zstd dictionary (wrong magic, or zstd cannot digest it).
  Status load_dictionary(const std::string& path);

  // Trains a dictionary of at most dict_bytes on `samples` (e.g. record payloads).
  // InvalidArgument with the reason if there are too few samples or zstd cannot train on
  // them (too little data, or nothing in common).
  static Result<std::vector<std::uint8_t>> train_dictionary(std::span<const std::span<const std::uint8_t>> samples,
                                                            std::size_t dict_bytes);

  // Decompresses zstd frame(s) for tests and tools, with `dictionary` (empty = none). Safe
  // on any input: Corruption on malformed or truncated input, a checksum mismatch, a
  // missing or wrong dictionary, or output beyond max_output_bytes.
  static Result<std::vector<std::uint8_t>> decompress(std::span<const std::uint8_t> input,
                                                      std::size_t max_output_bytes,
                                                      std::span<const std::uint8_t> dictionary = {});

 private:
  struct Contexts;  // ZSTD_CCtx and ZSTD_CDict, owned
  std::unique_ptr<Contexts> zstd_;
  int level_;
  std::vector<std::uint8_t> dictionary_;
  std::uint32_t dictionary_id_ = 0;
  std::vector<std::uint8_t> out_;
};

}  // namespace spool::engine

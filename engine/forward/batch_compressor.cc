#include "engine/forward/batch_compressor.h"

#include <zdict.h>
#include <zstd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <new>

#include "io/errno_status.h"
#include "io/file.h"
#include "spool/forwarder_options.h"

namespace spool::engine {
namespace {

std::string zstd_error(std::size_t code) { return ZSTD_getErrorName(code); }

struct DCtxDeleter {
  void operator()(ZSTD_DCtx* d) const noexcept { ZSTD_freeDCtx(d); }
};

}  // namespace

struct BatchCompressor::Contexts {
  ZSTD_CCtx* cctx = nullptr;
  ZSTD_CDict* cdict = nullptr;
  ~Contexts() {
    ZSTD_freeCDict(cdict);
    ZSTD_freeCCtx(cctx);
  }
};

BatchCompressor::BatchCompressor(int level) : zstd_(std::make_unique<Contexts>()), level_(level) {
  zstd_->cctx = ZSTD_createCCtx();
  if (zstd_->cctx == nullptr) throw std::bad_alloc();  // construction-time programmer/OOM error
  ZSTD_CCtx_setParameter(zstd_->cctx, ZSTD_c_compressionLevel, level_);
  // Content size (default) and a checksum: a receiver detects a damaged body itself.
  ZSTD_CCtx_setParameter(zstd_->cctx, ZSTD_c_checksumFlag, 1);
}

BatchCompressor::~BatchCompressor() = default;
BatchCompressor::BatchCompressor(BatchCompressor&&) noexcept = default;
BatchCompressor& BatchCompressor::operator=(BatchCompressor&&) noexcept = default;

Result<std::span<const std::uint8_t>> BatchCompressor::compress(std::span<const std::uint8_t> input) {
  const std::size_t bound = ZSTD_compressBound(input.size());
  if (ZSTD_isError(bound)) {
    return Status::invalid_argument("batch of " + std::to_string(input.size()) + " bytes is too large for zstd");
  }
  if (out_.size() < bound) out_.resize(bound);  // grows only: no allocation in steady state
  // compress2 resets the session only: level, checksum flag and dictionary stay.
  const std::size_t n = ZSTD_compress2(zstd_->cctx, out_.data(), out_.size(), input.data(), input.size());
  if (ZSTD_isError(n)) return Status::unavailable("zstd compression failed: " + zstd_error(n));
  return std::span<const std::uint8_t>(out_.data(), n);
}

Status BatchCompressor::set_dictionary(std::span<const std::uint8_t> dictionary) {
  ZSTD_CDict* cdict = nullptr;
  if (!dictionary.empty()) {
    cdict = ZSTD_createCDict(dictionary.data(), dictionary.size(), level_);
    if (cdict == nullptr) {
      return Status::invalid_argument("zstd refused the dictionary (" + std::to_string(dictionary.size()) +
                                      " bytes): damaged entropy tables?");
    }
  }
  const std::size_t rc = ZSTD_CCtx_refCDict(zstd_->cctx, cdict);  // nullptr: back to no dictionary
  if (ZSTD_isError(rc)) {
    ZSTD_freeCDict(cdict);
    return Status::invalid_argument("zstd could not use the dictionary: " + zstd_error(rc));
  }
  ZSTD_freeCDict(zstd_->cdict);
  zstd_->cdict = cdict;
  dictionary_.assign(dictionary.begin(), dictionary.end());
  dictionary_id_ = dictionary.empty() ? 0 : ZSTD_getDictID_fromDict(dictionary.data(), dictionary.size());
  return Status::ok();
}

std::span<const std::uint8_t> BatchCompressor::dictionary() const noexcept { return dictionary_; }

Status BatchCompressor::save_dictionary(const std::string& path) const {
  if (dictionary_.empty()) return Status::invalid_argument("no zstd dictionary to save to " + path);
  const std::size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  const std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  const int rc = io::write_file_atomically(dir, name, dictionary_.data(), dictionary_.size(), /*durable=*/true);
  if (rc < 0) return io::errno_status(rc, "cannot write zstd dictionary " + path);
  return Status::ok();
}

Status BatchCompressor::load_dictionary(const std::string& path) {
  std::string bytes;
  const int rc = io::read_small_file(path, &bytes, kMaxDictionaryBytes);
  if (rc == -EFBIG) {
    return Status::corruption("zstd dictionary " + path + " is larger than " + std::to_string(kMaxDictionaryBytes) +
                              " bytes");
  }
  if (rc < 0) return io::errno_status(rc, "cannot read zstd dictionary " + path);
  const auto* data = reinterpret_cast<const std::uint8_t*>(bytes.data());
  const std::uint32_t magic = bytes.size() < 8 ? 0
                                               : static_cast<std::uint32_t>(data[0]) | data[1] << 8 |
                                                     data[2] << 16 | static_cast<std::uint32_t>(data[3]) << 24;
  if (magic != ZSTD_MAGIC_DICTIONARY) {
    return Status::corruption("zstd dictionary " + path + " does not start with the zstd dictionary magic");
  }
  Status s = set_dictionary(std::span<const std::uint8_t>(data, bytes.size()));
  if (!s.is_ok()) return Status::corruption("zstd dictionary " + path + ": " + s.message());
  return Status::ok();
}

Result<std::vector<std::uint8_t>> BatchCompressor::train_dictionary(
    std::span<const std::span<const std::uint8_t>> samples, std::size_t dict_bytes) {
  std::vector<std::uint8_t> joined;
  std::vector<std::size_t> sizes;
  for (const auto& s : samples) {
    if (s.empty()) continue;  // tells zstd nothing
    joined.insert(joined.end(), s.begin(), s.end());
    sizes.push_back(s.size());
  }
  if (sizes.size() < kMinTrainingSamples) {
    return Status::invalid_argument("training a zstd dictionary needs at least " +
                                    std::to_string(kMinTrainingSamples) + " non-empty samples, got " +
                                    std::to_string(sizes.size()));
  }
  if (dict_bytes < kMinDictionaryBytes || dict_bytes > kMaxDictionaryBytes) {
    return Status::invalid_argument("zstd dictionary size must be in " + std::to_string(kMinDictionaryBytes) +
                                    ".." + std::to_string(kMaxDictionaryBytes) + ", got " +
                                    std::to_string(dict_bytes));
  }
  if (sizes.size() > UINT32_MAX) return Status::invalid_argument("too many samples to train a zstd dictionary");
  std::vector<std::uint8_t> dict(dict_bytes);
  const std::size_t n = ZDICT_trainFromBuffer(dict.data(), dict.size(), joined.data(), sizes.data(),
                                              static_cast<unsigned>(sizes.size()));
  if (ZDICT_isError(n)) {
    return Status::invalid_argument("zstd dictionary training failed on " + std::to_string(sizes.size()) +
                                    " samples (" + std::to_string(joined.size()) +
                                    " bytes): " + ZDICT_getErrorName(n));
  }
  dict.resize(n);
  return dict;
}

Result<std::vector<std::uint8_t>> BatchCompressor::decompress(std::span<const std::uint8_t> input,
                                                              std::size_t max_output_bytes,
                                                              std::span<const std::uint8_t> dictionary) {
  if (input.empty()) return Status::corruption("empty input is not a zstd frame");
  const std::unique_ptr<ZSTD_DCtx, DCtxDeleter> dctx(ZSTD_createDCtx());
  if (!dctx) return Status::unavailable("cannot create a zstd decompression context");
  // A window larger than the output it may produce is never needed for our own frames
  // (their content size is known); the floor of 2^23 admits frames streamed by other tools
  // at any level up to 19. The cap keeps garbage headers from asking for huge buffers.
  // 27 is zstd's own default limit (ZSTD_WINDOWLOG_LIMIT_DEFAULT, not in the stable API).
  const int window_log = std::clamp(static_cast<int>(std::bit_width(max_output_bytes)), 23, 27);
  ZSTD_DCtx_setParameter(dctx.get(), ZSTD_d_windowLogMax, window_log);
  if (!dictionary.empty()) {
    const std::size_t rc = ZSTD_DCtx_loadDictionary(dctx.get(), dictionary.data(), dictionary.size());
    if (ZSTD_isError(rc)) return Status::corruption("zstd refused the dictionary: " + zstd_error(rc));
  }

  // One byte of room beyond the limit: output that fills it is over the limit, and output
  // of exactly the limit never stalls on a full buffer before its checksum is read.
  const std::size_t limit = max_output_bytes == SIZE_MAX ? SIZE_MAX : max_output_bytes + 1;
  std::size_t capacity = std::min<std::size_t>(limit, 64 * 1024);
  const unsigned long long content = ZSTD_getFrameContentSize(input.data(), input.size());
  if (content != ZSTD_CONTENTSIZE_UNKNOWN && content != ZSTD_CONTENTSIZE_ERROR) {
    if (content > max_output_bytes) {
      return Status::corruption("zstd frame declares " + std::to_string(content) + " bytes, more than the limit of " +
                                std::to_string(max_output_bytes));
    }
    capacity = static_cast<std::size_t>(content) + 1;
  }
  std::vector<std::uint8_t> out(capacity);
  ZSTD_inBuffer in{input.data(), input.size(), 0};
  std::size_t produced = 0;
  for (;;) {
    ZSTD_outBuffer ob{out.data(), out.size(), produced};
    const std::size_t in_before = in.pos;
    const std::size_t ret = ZSTD_decompressStream(dctx.get(), &ob, &in);
    if (ZSTD_isError(ret)) return Status::corruption("zstd: " + zstd_error(ret));
    const bool progress = ob.pos != produced || in.pos != in_before;
    produced = ob.pos;
    if (produced > max_output_bytes) {
      return Status::corruption("zstd output exceeds the limit of " + std::to_string(max_output_bytes) + " bytes");
    }
    if (ret == 0 && in.pos == in.size) break;  // the last frame is complete and flushed
    if (ob.pos == ob.size) {
      out.resize(std::min(limit, std::max<std::size_t>(out.size(), 1) * 2));
    } else if (in.pos == in.size) {
      return Status::corruption("zstd input is truncated (" + std::to_string(input.size()) + " bytes)");
    } else if (!progress) {
      return Status::corruption("zstd made no progress at input byte " + std::to_string(in.pos));
    }
  }
  out.resize(produced);
  return out;
}

}  // namespace spool::engine

// engine/forward/batch_compressor.h: round trips with and without a dictionary, dictionary
// training (and its refusal on too few samples), dictionary files (atomic save, load,
// damaged files), and decompress() refusing garbage, truncation, a wrong dictionary and
// output beyond its limit.
#include "engine/forward/batch_compressor.h"
#include "engine/produce/dictionary_retention.h"

#include <zstd.h>

#include <cstdint>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/temp_dir.h"

namespace spool::engine {
namespace {

using Bytes = std::vector<std::uint8_t>;

Bytes to_bytes(const std::string& s) { return Bytes(s.begin(), s.end()); }

// Telemetry-like records: shared structure, varying values (a fixed seed: deterministic).
std::vector<Bytes> sample_records(std::size_t n, std::uint64_t seed = 7) {
  std::mt19937_64 rng(seed);
  std::vector<Bytes> out;
  static const char* kNames[] = {"http.request", "db.query", "cache.lookup", "model.predict"};
  for (std::size_t i = 0; i < n; ++i) {
    std::string s = "{\"name\":\"" + std::string(kNames[rng() % 4]) + "\",\"service\":\"inference-gateway\"," +
                    "\"trace_id\":\"" + std::to_string(rng()) + "\",\"duration_us\":" + std::to_string(rng() % 100000) +
                    ",\"status\":\"" + (rng() % 10 == 0 ? "error" : "ok") + "\",\"region\":\"eu-west-1\"}";
    out.push_back(to_bytes(s));
  }
  return out;
}

std::vector<std::span<const std::uint8_t>> spans(const std::vector<Bytes>& v) {
  return {v.begin(), v.end()};
}

Bytes trained_dictionary() {
  const auto samples = sample_records(2000);
  auto dict = BatchCompressor::train_dictionary(spans(samples), 4096);
  EXPECT_TRUE(dict.is_ok()) << dict.status().to_string();
  return dict.is_ok() ? dict.value() : Bytes{};
}

TEST(BatchCompressorTest, RoundTripWithoutDictionary) {
  BatchCompressor c(3);
  EXPECT_EQ(c.dictionary_id(), 0u);
  Bytes input;
  for (const Bytes& r : sample_records(200)) input.insert(input.end(), r.begin(), r.end());
  auto compressed = c.compress(input);
  ASSERT_TRUE(compressed.is_ok()) << compressed.status().to_string();
  EXPECT_LT(compressed->size(), input.size() / 2);
  EXPECT_EQ(ZSTD_getDictID_fromFrame(compressed->data(), compressed->size()), 0u);
  auto back = BatchCompressor::decompress(*compressed, input.size());
  ASSERT_TRUE(back.is_ok()) << back.status().to_string();
  EXPECT_EQ(back.value(), input);
}

TEST(BatchCompressorTest, EmptyInputAndReuse) {
  BatchCompressor c(1);
  auto empty = c.compress({});
  ASSERT_TRUE(empty.is_ok());
  auto back = BatchCompressor::decompress(*empty, 0);
  ASSERT_TRUE(back.is_ok()) << back.status().to_string();
  EXPECT_TRUE(back->empty());
  // The same compressor serves many batches of different sizes.
  for (std::size_t n : {10u, 100000u, 3u, 5000u}) {
    Bytes input(n);
    for (std::size_t i = 0; i < n; ++i) input[i] = static_cast<std::uint8_t>(i * 31 % 251);
    auto z = c.compress(input);
    ASSERT_TRUE(z.is_ok());
    auto d = BatchCompressor::decompress(*z, n);
    ASSERT_TRUE(d.is_ok()) << d.status().to_string();
    EXPECT_EQ(d.value(), input);
  }
}

TEST(BatchCompressorTest, FastNegativeLevel) {
  BatchCompressor c(-5);
  const Bytes input = sample_records(1)[0];
  auto z = c.compress(input);
  ASSERT_TRUE(z.is_ok());
  auto d = BatchCompressor::decompress(*z, input.size());
  ASSERT_TRUE(d.is_ok());
  EXPECT_EQ(d.value(), input);
}

TEST(BatchCompressorTest, RoundTripWithDictionaryAndItHelpsSmallBatches) {
  const Bytes dict = trained_dictionary();
  ASSERT_FALSE(dict.empty());
  BatchCompressor plain(3), with_dict(3);
  ASSERT_TRUE(with_dict.set_dictionary(dict).is_ok());
  EXPECT_NE(with_dict.dictionary_id(), 0u);
  EXPECT_EQ(with_dict.dictionary_id(), ZSTD_getDictID_fromDict(dict.data(), dict.size()));

  const Bytes input = sample_records(3, /*seed=*/99)[1];  // a record not in the training set
  auto small_plain = plain.compress(input);
  ASSERT_TRUE(small_plain.is_ok());
  const std::size_t plain_size = small_plain->size();
  auto z = with_dict.compress(input);
  ASSERT_TRUE(z.is_ok());
  EXPECT_LT(z->size(), plain_size);
  EXPECT_EQ(ZSTD_getDictID_fromFrame(z->data(), z->size()), with_dict.dictionary_id());

  auto d = BatchCompressor::decompress(*z, input.size(), dict);
  ASSERT_TRUE(d.is_ok()) << d.status().to_string();
  EXPECT_EQ(d.value(), input);
  // Without the dictionary (or with another one) it is refused, not mis-decoded.
  auto no_dict = BatchCompressor::decompress(*z, input.size());
  EXPECT_EQ(no_dict.status().code(), StatusCode::kCorruption);

  // Clearing the dictionary goes back to plain frames.
  ASSERT_TRUE(with_dict.set_dictionary({}).is_ok());
  EXPECT_EQ(with_dict.dictionary_id(), 0u);
  auto z2 = with_dict.compress(input);
  ASSERT_TRUE(z2.is_ok());
  auto d2 = BatchCompressor::decompress(*z2, input.size());
  ASSERT_TRUE(d2.is_ok());
  EXPECT_EQ(d2.value(), input);
}

TEST(BatchCompressorTest, TrainingNeedsEnoughSamples) {
  const auto few = sample_records(BatchCompressor::kMinTrainingSamples - 1);
  auto dict = BatchCompressor::train_dictionary(spans(few), 4096);
  ASSERT_FALSE(dict.is_ok());
  EXPECT_EQ(dict.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(dict.status().message().find("at least"), std::string::npos) << dict.status().message();
  // Empty samples do not count.
  std::vector<Bytes> empties(100);
  EXPECT_EQ(BatchCompressor::train_dictionary(spans(empties), 4096).status().code(),
            StatusCode::kInvalidArgument);
  // A dictionary size out of range.
  const auto many = sample_records(100);
  EXPECT_EQ(BatchCompressor::train_dictionary(spans(many), 10).status().code(), StatusCode::kInvalidArgument);
}

TEST(BatchCompressorTest, DictionaryFileSaveAndLoad) {
  spool::testing::TempDir dir;
  const std::string path = dictionary_path(dir.path());
  EXPECT_EQ(path, dir.path() + "/zstd.dict");
  BatchCompressor c(3);
  EXPECT_EQ(c.save_dictionary(path).code(), StatusCode::kInvalidArgument);  // none set
  EXPECT_EQ(c.load_dictionary(path).code(), StatusCode::kNotFound);

  const Bytes dict = trained_dictionary();
  ASSERT_TRUE(c.set_dictionary(dict).is_ok());
  ASSERT_TRUE(c.save_dictionary(path).is_ok());
  EXPECT_EQ(to_bytes(spool::testing::read_file(path)), dict);
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));  // renamed into place

  BatchCompressor loaded(3);
  ASSERT_TRUE(loaded.load_dictionary(path).is_ok());
  EXPECT_EQ(loaded.dictionary_id(), c.dictionary_id());
  const Bytes input = sample_records(1, 5)[0];
  auto z = loaded.compress(input);
  ASSERT_TRUE(z.is_ok());
  auto d = BatchCompressor::decompress(*z, input.size(), c.dictionary());
  ASSERT_TRUE(d.is_ok());
  EXPECT_EQ(d.value(), input);

  // Saving again replaces the file.
  ASSERT_TRUE(c.set_dictionary(to_bytes(std::string(2048, 'r'))).is_ok());  // raw content
  EXPECT_EQ(c.dictionary_id(), 0u);
  ASSERT_TRUE(c.save_dictionary(path).is_ok());
  EXPECT_EQ(spool::testing::read_file(path).size(), 2048u);
}

TEST(BatchCompressorTest, DamagedDictionaryFilesAreCorruption) {
  spool::testing::TempDir dir;
  const std::string path = dictionary_path(dir.path());
  BatchCompressor c(3);
  // Not a zstd dictionary at all.
  spool::testing::write_file(path, "this is not a dictionary");
  EXPECT_EQ(c.load_dictionary(path).code(), StatusCode::kCorruption);
  spool::testing::write_file(path, "");
  EXPECT_EQ(c.load_dictionary(path).code(), StatusCode::kCorruption);
  // The right magic, damaged tables.
  Bytes dict = trained_dictionary();
  ASSERT_GT(dict.size(), 64u);
  for (std::size_t i = 8; i < 64; ++i) dict[i] = 0xFF;
  spool::testing::write_file(path, std::string(dict.begin(), dict.end()));
  EXPECT_EQ(c.load_dictionary(path).code(), StatusCode::kCorruption);
  EXPECT_EQ(c.dictionary_id(), 0u);  // a failed load leaves the compressor as it was
}

TEST(BatchCompressorTest, DecompressRefusesGarbage) {
  for (const std::string& s : {std::string("x"), std::string("garbage that is not zstd at all"),
                               std::string(1000, '\0'), std::string("\x28\xB5\x2F\xFD", 4)}) {
    auto d = BatchCompressor::decompress(to_bytes(s), 1 << 20);
    ASSERT_FALSE(d.is_ok()) << s.size();
    EXPECT_EQ(d.status().code(), StatusCode::kCorruption);
  }
  EXPECT_EQ(BatchCompressor::decompress({}, 100).status().code(), StatusCode::kCorruption);
}

TEST(BatchCompressorTest, DecompressRefusesTruncationAndBitFlips) {
  BatchCompressor c(3);
  Bytes input;
  for (const Bytes& r : sample_records(50)) input.insert(input.end(), r.begin(), r.end());
  auto z = c.compress(input);
  ASSERT_TRUE(z.is_ok());
  const Bytes frame(z->begin(), z->end());
  for (std::size_t n = 1; n < frame.size(); ++n) {
    auto d = BatchCompressor::decompress(std::span<const std::uint8_t>(frame.data(), n), input.size());
    EXPECT_EQ(d.status().code(), StatusCode::kCorruption) << n;
  }
  // The checksum catches a flipped bit in the body.
  Bytes flipped = frame;
  flipped[flipped.size() / 2] ^= 0x10;
  auto d = BatchCompressor::decompress(flipped, input.size());
  if (d.is_ok()) {
    EXPECT_EQ(d.value(), input);  // only if the flip landed somewhere zstd ignores
  } else {
    EXPECT_EQ(d.status().code(), StatusCode::kCorruption);
  }
}

TEST(BatchCompressorTest, DecompressOutputIsBounded) {
  BatchCompressor c(3);
  const Bytes input(100000, 'a');
  auto z = c.compress(input);
  ASSERT_TRUE(z.is_ok());
  EXPECT_TRUE(BatchCompressor::decompress(*z, input.size()).is_ok());  // exactly the limit
  EXPECT_EQ(BatchCompressor::decompress(*z, input.size() - 1).status().code(), StatusCode::kCorruption);
  // A frame without a declared content size (streamed) is bounded while it decodes.
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_contentSizeFlag, 0);
  Bytes streamed(ZSTD_compressBound(input.size()));
  ZSTD_outBuffer out{streamed.data(), streamed.size(), 0};
  ZSTD_inBuffer in{input.data(), input.size(), 0};
  ASSERT_EQ(ZSTD_compressStream2(cctx, &out, &in, ZSTD_e_end), 0u);
  ZSTD_freeCCtx(cctx);
  streamed.resize(out.pos);
  ASSERT_EQ(ZSTD_getFrameContentSize(streamed.data(), streamed.size()), ZSTD_CONTENTSIZE_UNKNOWN);
  auto ok = BatchCompressor::decompress(streamed, input.size());
  ASSERT_TRUE(ok.is_ok()) << ok.status().to_string();
  EXPECT_EQ(ok.value(), input);
  EXPECT_EQ(BatchCompressor::decompress(streamed, 4096).status().code(), StatusCode::kCorruption);
  // Two frames back to back decode as one output.
  Bytes two = streamed;
  two.insert(two.end(), streamed.begin(), streamed.end());
  auto both = BatchCompressor::decompress(two, 2 * input.size());
  ASSERT_TRUE(both.is_ok()) << both.status().to_string();
  EXPECT_EQ(both->size(), 2 * input.size());
}

}  // namespace
}  // namespace spool::engine

// RedactingSink (spool/redacting_sink.h): redacts each batch into its own storage, then hands
// the wrapped sink a batch that differs only in the payloads (and, when it wants one, a native
// compressed batch made from the redacted records).
//
// Storage is reused from batch to batch: the redacted tables go back to back into one arena
// of 8-byte words (every table starts aligned, as the verifier and the accessors need), and
// the payload spans are set once the arena has stopped growing. A steady forwarder allocates
// nothing per batch.
#include "spool/redacting_sink.h"

#include <cstring>
#include <optional>
#include <vector>

#include "engine/forward/batch_compressor.h"
#include "engine/forward/hmac_sha256.h"
#include "engine/forward/native_batch.h"
#include "engine/forward/record_redactor.h"
#include "engine/forward/redaction_plan.h"

namespace spool {

namespace {

class RedactingSink final : public Sink {
 public:
  RedactingSink(std::unique_ptr<Sink> inner, const RedactionOptions& options,
                std::optional<engine::HmacSha256> hash)
      : inner_(std::move(inner)),
        plan_(options.rules),
        hash_(std::move(hash)),
        redactor_(plan_, hash_ ? &*hash_ : nullptr),
        compressor_(options.zstd_level) {}

  FlushResult send(const ForwardBatch& batch) override {
    redact(batch.records);
    ForwardBatch out;
    out.log_id = batch.log_id;
    out.first_offset = batch.first_offset;
    out.last_offset = batch.last_offset;
    out.records = records_;
    out.attempt = batch.attempt;
    // Never batch.compressed: it would be the forwarder's, of the unredacted records (it is
    // empty anyway, since this sink does not want it). Without a native batch (a record over
    // 4 GiB, zstd refusing) the wrapped sink still gets the records, as from the forwarder.
    if (inner_->wants_compressed_batch() &&
        engine::encode_native_batch(records_, &native_).is_ok()) {
      auto compressed = compressor_.compress(native_);
      if (compressed) {
        out.compressed = *compressed;
        out.uncompressed_bytes = native_.size();
        out.dictionary_id = compressor_.dictionary_id();
      }
    }
    return inner_->send(out);
  }

  bool wants_compressed_batch() const override { return false; }
  std::string name() const override { return inner_->name(); }
  std::vector<HealthWarning> configuration_warnings() const override {
    return inner_->configuration_warnings();
  }

 private:
  // records_ = the batch's records with redacted payloads.
  void redact(std::span<const ForwardRecord> records) {
    records_.assign(records.begin(), records.end());
    arena_.clear();
    placed_.clear();
    for (std::size_t i = 0; i < records_.size(); ++i) {
      ForwardRecord& r = records_[i];
      switch (redactor_.redact(r.kind, r.payload)) {
        case engine::RecordRedactor::Outcome::kUnchanged:
          break;
        case engine::RecordRedactor::Outcome::kWithheld:
          r.payload = {};
          break;
        case engine::RecordRedactor::Outcome::kRedacted: {
          const std::span<const std::uint8_t> table = redactor_.redacted();
          const std::size_t at = arena_.size();
          arena_.resize(at + (table.size() + 7) / 8);
          std::memcpy(arena_.data() + at, table.data(), table.size());
          placed_.push_back({i, at, table.size()});
          break;
        }
      }
    }
    const auto* base = reinterpret_cast<const std::uint8_t*>(arena_.data());
    for (const Placed& p : placed_) records_[p.record].payload = {base + p.word * 8, p.bytes};
  }

  struct Placed {
    std::size_t record;
    std::size_t word;  // where in arena_ its table starts
    std::size_t bytes;
  };

  std::unique_ptr<Sink> inner_;
  engine::RedactionPlan plan_;
  std::optional<engine::HmacSha256> hash_;
  engine::RecordRedactor redactor_;
  engine::BatchCompressor compressor_;
  std::vector<ForwardRecord> records_;
  std::vector<std::uint64_t> arena_;
  std::vector<Placed> placed_;
  std::vector<std::uint8_t> native_;
};

}  // namespace

Result<std::unique_ptr<Sink>> make_redacting_sink(std::unique_ptr<Sink> sink,
                                                  RedactionOptions options) {
  if (sink == nullptr) return Status::invalid_argument("make_redacting_sink: no sink to wrap");
  SPOOL_RETURN_IF_ERROR(validate(options));
  if (options.rules.empty()) return sink;
  std::optional<engine::HmacSha256> hash;
  if (!options.hash_key.empty()) {
    auto created = engine::HmacSha256::create(options.hash_key);
    if (!created) return created.status();
    hash.emplace(std::move(*created));
  }
  return std::unique_ptr<Sink>(
      std::make_unique<RedactingSink>(std::move(sink), options, std::move(hash)));
}

}  // namespace spool

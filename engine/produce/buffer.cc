// spool::Buffer: serializes records with the calling thread's RecordEncoder and hands the
// bytes to BufferCore.
#include "spool/buffer.h"

#include "engine/produce/buffer_core.h"
#include "engine/produce/thread_exit_local.h"
#include "spool/record_encoder.h"
#include "spool/record_verify.h"

namespace spool {

namespace {

// One encoder per thread: its builder memory is reused, so encoding allocates nothing in
// steady state. Not a thread_local object: a thread_local destructor that appends at thread
// exit could otherwise use it after it was destroyed (engine/produce/thread_exit_local.h).
RecordEncoder& thread_encoder() { return engine::ThreadExitLocal<RecordEncoder>::get(); }

template <typename RecordT>
Status encode_and_append(engine::BufferCore& core, const RecordT& record) {
  EncodedRecord encoded = thread_encoder().encode(record);
  // Empty bytes: the encoder refused a record too large to serialize.
  if (encoded.bytes.empty()) return core.reject_too_large();
  return core.append(encoded.kind, encoded.priority, encoded.bytes);
}

// Appends in order until one is refused; reports how many were queued.
template <typename RecordT>
Status append_each(Buffer& buffer, std::span<const RecordT> records, std::size_t* appended) {
  std::size_t n = 0;
  Status s;
  for (const RecordT& record : records) {
    s = buffer.append(record);
    if (!s.is_ok()) break;
    ++n;
  }
  if (appended != nullptr) *appended = n;
  return s;
}

}  // namespace

Result<std::unique_ptr<Buffer>> Buffer::open(const std::string& dir, const Options& options) {
  auto core = engine::BufferCore::open(dir, options);
  if (!core) return core.status();
  return std::unique_ptr<Buffer>(new Buffer(std::move(core.value())));
}

Buffer::Buffer(std::unique_ptr<engine::BufferCore> core) : core_(std::move(core)) {}
Buffer::~Buffer() = default;  // BufferCore's destructor shuts down

Status Buffer::append(const Span& span) { return encode_and_append(*core_, span); }
Status Buffer::append(const LogRecord& log) { return encode_and_append(*core_, log); }
Status Buffer::append(const Metric& metric) { return encode_and_append(*core_, metric); }
Status Buffer::append(const RawRecord& record) { return encode_and_append(*core_, record); }
Status Buffer::append(const EncodedRecord& record) {
  return core_->append(record.kind, record.priority, record.bytes);
}

Status Buffer::append_checked(const EncodedRecord& record) {
  Status valid = verify_encoded(record.kind, record.bytes);
  // The caller's input, not damage on disk: InvalidArgument, with the verifier's reason.
  if (!valid.is_ok()) return core_->reject_malformed(Status::invalid_argument(valid.message()));
  return core_->append(record.kind, record.priority, record.bytes);
}

Status Buffer::append_batch(std::span<const Span> spans, std::size_t* appended) {
  return append_each(*this, spans, appended);
}
Status Buffer::append_batch(std::span<const EncodedRecord> records, std::size_t* appended) {
  return append_each(*this, records, appended);
}

Status Buffer::flush(std::uint32_t timeout_ms) { return core_->flush(timeout_ms); }
Status Buffer::sync() { return core_->sync(); }
Role Buffer::role() const noexcept { return core_->role(); }
Status Buffer::shutdown() { return core_->shutdown(); }
BufferStats Buffer::stats() const { return core_->stats(); }
std::uint64_t Buffer::committed_offset() const noexcept { return core_->committed_offset(); }
const std::string& Buffer::dir() const noexcept { return core_->dir(); }

}  // namespace spool

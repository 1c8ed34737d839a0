// spool::Buffer: serializes records with the calling thread's RecordEncoder and hands the
// bytes to BufferCore.
#include "spool/buffer.h"

#include "engine/produce/buffer_core.h"
#include "engine/produce/lane_set.h"
#include "engine/produce/thread_exit_local.h"
#include "engine/record/record_type_tag.h"
#include "spool/record_encoder.h"
#include "spool/record_verify.h"

namespace spool {

namespace {

// One encoder per thread: its builder memory is reused, so encoding allocates nothing in
// steady state. Not a thread_local object: a thread_local destructor that appends at thread
// exit could otherwise use it after it was destroyed (engine/produce/thread_exit_local.h).
RecordEncoder& thread_encoder() { return engine::ThreadExitLocal<RecordEncoder>::get(); }

// The lane of an encoded record; its type tag is read only when a lane routes by it, and
// without a second verifier pass when the caller verified the bytes already.
engine::BufferCore& core_for(engine::LaneSet& lanes, const EncodedRecord& record, bool verified = false) {
  if (record.kind == RecordKind::kRecord && lanes.routes_by_type()) {
    return lanes.route(record.kind, record.priority,
                       verified ? engine::verified_record_type_tag(record.bytes) : engine::record_type_tag(record.bytes));
  }
  return lanes.route(record.kind, record.priority);
}

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
  auto lanes = engine::LaneSet::open(dir, options);
  if (!lanes) return lanes.status();
  return std::unique_ptr<Buffer>(new Buffer(std::move(lanes.value())));
}

Buffer::Buffer(std::unique_ptr<engine::LaneSet> lanes) : lanes_(std::move(lanes)) {}
Buffer::~Buffer() = default;  // each lane's BufferCore shuts down

Status Buffer::append(const Span& span) {
  return encode_and_append(lanes_->route(RecordKind::kSpan, span.priority), span);
}
Status Buffer::append(const LogRecord& log) {
  return encode_and_append(lanes_->route(RecordKind::kLog, log.priority), log);
}
Status Buffer::append(const Metric& metric) {
  return encode_and_append(lanes_->route(RecordKind::kMetric, metric.priority), metric);
}
Status Buffer::append(const RawRecord& record) {
  return encode_and_append(lanes_->route(RecordKind::kRecord, record.priority, record.type_tag),
                           record);
}
Status Buffer::append(const EncodedRecord& record) {
  return core_for(*lanes_, record).append(record.kind, record.priority, record.bytes);
}

Status Buffer::append_checked(const EncodedRecord& record) {
  Status valid = verify_encoded(record.kind, record.bytes);
  // The caller's input, not damage on disk: InvalidArgument, with the verifier's reason
  // (counted in the lane of its kind and priority: its type tag cannot be read).
  if (!valid.is_ok()) {
    return lanes_->route(record.kind, record.priority).reject_malformed(Status::invalid_argument(valid.message()));
  }
  return core_for(*lanes_, record, /*verified=*/true).append(record.kind, record.priority, record.bytes);
}

Status Buffer::append_batch(std::span<const Span> spans, std::size_t* appended) {
  return append_each(*this, spans, appended);
}
Status Buffer::append_batch(std::span<const EncodedRecord> records, std::size_t* appended) {
  return append_each(*this, records, appended);
}

Status Buffer::flush(std::uint32_t timeout_ms) { return lanes_->flush(timeout_ms); }
Status Buffer::sync() { return lanes_->sync(); }
Role Buffer::role() const noexcept { return lanes_->default_core().role(); }
Status Buffer::shutdown() { return lanes_->shutdown(); }
BufferStats Buffer::stats() const { return lanes_->stats(); }
std::uint64_t Buffer::committed_offset() const noexcept {
  return lanes_->default_core().committed_offset();
}
const std::string& Buffer::dir() const noexcept { return lanes_->default_core().dir(); }

std::vector<std::string> Buffer::lanes() const {
  std::vector<std::string> names;
  for (const engine::LaneSet::Lane& lane : lanes_->lanes()) names.push_back(lane.name);
  return names;
}

std::string Buffer::lane_of(RecordKind kind, Priority priority,
                            std::string_view record_type) const {
  const engine::BufferCore& core = lanes_->route(kind, priority, record_type);
  for (const engine::LaneSet::Lane& lane : lanes_->lanes()) {
    if (lane.core.get() == &core) return lane.name;
  }
  return std::string(kDefaultLane);
}

Result<std::uint64_t> Buffer::committed_offset(std::string_view lane) const {
  const engine::BufferCore* core = lanes_->find(lane);
  if (core == nullptr) return Status::not_found("no lane '" + std::string(lane) + "' in " + dir());
  return core->committed_offset();
}

}  // namespace spool

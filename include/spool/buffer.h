// spool::Buffer: the producer-facing front of a log directory.
//
//   auto buffer = spool::Buffer::open("/var/spool/telemetry", options);   // Result<...>
//   spool::Status s = (*buffer)->append(span);      // tens of ns; never blocks unless kBlock
//   (*buffer)->flush();                              // everything appended so far is in the log
//   (*buffer)->shutdown();                           // drain, sync, clean-shutdown marker
//
// Any number of threads may append concurrently. Each thread serializes its record into its
// own lock-free ring (no lock, no allocation, no syscall in steady state); one writer thread
// drains the rings in batches into the segment log. An append that returns OK is queued; it
// is durable once the committed offset passes it (see README "Durability" for what each
// mode can lose).
//
// fork(): a Buffer belongs to the process that opened it. In a child of fork() every append,
// flush, sync and shutdown returns ForkChild at once (naming both pids), stats() is empty,
// and the destructor frees memory without writing to, syncing or unlocking the parent's log.
// A child that wants to produce opens a Buffer of its own on another directory.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "spool/buffer_options.h"
#include "spool/buffer_stats.h"
#include "spool/records.h"
#include "spool/status.h"

namespace spool {

namespace engine {
class LaneSet;
}

class Buffer {
 public:
  // Opens (creating if needed) the log in `dir`, recovers it and starts the writer thread.
  static Result<std::unique_ptr<Buffer>> open(const std::string& dir, const Options& options);
  ~Buffer();  // shutdown()
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;

  // Queue one record. OK: queued. Full / TimedOut: dropped per the full-queue policy (and
  // counted). InvalidArgument: too large (counted). Closed: after shutdown (counted).
  // ForkChild: called in a child of the process that opened the Buffer (not counted).
  Status append(const Span& span);
  Status append(const LogRecord& log);
  Status append(const Metric& metric);
  Status append(const RawRecord& record);
  // Pre-built by RecordEncoder or SpanBuilder (trusted): a copy into the ring.
  Status append(const EncodedRecord& record);
  // Bytes from elsewhere (another process, the network): verified first. InvalidArgument
  // with the reason when they are not a valid record of their kind (counted as malformed).
  Status append_checked(const EncodedRecord& record);

  // Appends in order; stops at the first record that is not queued and returns its status.
  // `appended`, when given, receives how many were queued.
  Status append_batch(std::span<const Span> spans, std::size_t* appended = nullptr);
  Status append_batch(std::span<const EncodedRecord> records, std::size_t* appended = nullptr);

  // Returns when every record this process appended before the call is in the log and, in
  // kBatch mode, synced (or TimedOut after timeout_ms; 0 = no limit).
  Status flush(std::uint32_t timeout_ms = 0);
  // fdatasync now, whatever the mode, after a flush.
  Status sync();
  // Stops accepting appends, drains the queues, syncs, writes the clean-shutdown marker and
  // stops the writer. Idempotent; returns the first error the writer could not get past.
  Status shutdown();

  BufferStats stats() const;
  // What this process does for the log right now: kWriter (it holds the lock and runs the
  // writer thread) or kAttach (another process writes; this one only produces). An attached
  // kAuto buffer becomes the writer when the writer goes away.
  Role role() const noexcept;
  // Next offset after the last record made durable per the durability mode.
  std::uint64_t committed_offset() const noexcept;
  const std::string& dir() const noexcept;

  // Lanes (lane_options.h): their names, "default" first, then the declared lanes in
  // declaration order, then retired ones.
  std::vector<std::string> lanes() const;
  // The lane a record of this kind, priority (and, for kRecord, type) is appended to.
  std::string lane_of(RecordKind kind, Priority priority, std::string_view record_type = {}) const;
  // committed_offset() of one lane; NotFound for a name that is not a lane of this buffer.
  Result<std::uint64_t> committed_offset(std::string_view lane) const;

 private:
  friend class Forwarder;  // forwards this buffer's lanes
  explicit Buffer(std::unique_ptr<engine::LaneSet> lanes);
  std::unique_ptr<engine::LaneSet> lanes_;
};

}  // namespace spool

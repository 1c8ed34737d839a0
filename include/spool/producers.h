// Who writes a log directory and who produces into it, for tools (`spoolctl stats`): the
// writer (from DIR/LOG_STATE) and every producer ring in DIR/rings/, including producers
// that died (their rings until the writer reclaims them, then a tombstone). Read without
// the lock and without writing anything: safe beside a live writer.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "spool/buffer_stats.h"
#include "spool/status.h"

namespace spool {

struct WriterInfo {
  std::int32_t pid = 0;
  std::int64_t since_ns = 0;        // wall clock when it became the writer
  std::uint64_t generation = 0;     // +1 each time a process becomes the writer
  std::uint64_t written_offset = 0;
  std::uint64_t committed_offset = 0;
};

struct ProducerInfo {
  std::string producer;             // producer id (16 hex digits): one per process and thread
  std::string ring;                 // ring id (16 hex digits); "" for a reclaimed ring
  std::int32_t pid = 0;
  std::int32_t tid = 0;
  std::string role;                 // "writer" (in the writer's process) or "attached"
  bool alive = true;                // false once its process died
  bool died_mid_entry = false;      // it died while writing an entry (that entry is lost)
  bool sealed = false;              // no more appends into this ring (thread exited, grew)
  std::uint32_t generation = 0;
  std::uint64_t ring_bytes = 0;
  std::uint64_t queued_bytes = 0;
  double fill = 0;                  // queued_bytes / ring_bytes
  std::uint64_t appended = 0;
  std::uint64_t written = 0;
  std::uint64_t malformed = 0;      // refused by the writer
  std::array<std::uint64_t, kDropReasonCount> dropped{};  // by DropReason
  std::int64_t created_ns = 0;
};

struct ProducersSummary {
  std::optional<WriterInfo> writer;  // nullopt when no process holds the log
  std::vector<ProducerInfo> producers;
  std::uint64_t producers_died = 0;   // producers whose process died, ever (reclaimed or not)
  std::uint64_t producer_died = 0;    // entries lost because their producer died writing them
  std::uint64_t malformed = 0;        // entries the writer refused, ever
  std::uint64_t ring_bytes_total = 0;
  std::uint64_t budget_bytes = 0;
};

Result<ProducersSummary> summarize_producers(const std::string& dir);

}  // namespace spool

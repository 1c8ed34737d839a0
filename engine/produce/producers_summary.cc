// summarize_producers (include/spool/producers.h): the writer from LOG_STATE, the producers
// from DIR/rings/ (live rings, then the tombstones of reclaimed dead ones).
#include <cstdio>

#include "engine/produce/ring_control.h"
#include "engine/produce/ring_directory.h"
#include "engine/produce/shared_ring.h"
#include "io/env.h"
#include "segment/log_marker.h"
#include "segment/log_state.h"
#include "spool/producers.h"

namespace spool {

namespace {

std::string hex16(std::uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

ProducerInfo info_of(const engine::SharedRing& ring) {
  const auto& id = ring.identity();
  const engine::RingCounters c = ring.counters();
  ProducerInfo p;
  p.producer = hex16(id.producer_id == 0 ? id.ring_id : id.producer_id);
  p.ring = hex16(id.ring_id);
  p.pid = id.pid;
  p.tid = id.tid;
  p.role = id.role == static_cast<std::uint32_t>(engine::RingRole::kWriterProcess) ? "writer" : "attached";
  p.alive = ring.producer_alive();
  p.died_mid_entry = !p.alive && ring.died_mid_entry();
  p.sealed = ring.sealed();
  p.generation = id.generation;
  p.ring_bytes = ring.capacity();
  p.queued_bytes = c.queued_bytes;
  p.fill = ring.capacity() == 0 ? 0.0 : static_cast<double>(c.queued_bytes) / static_cast<double>(ring.capacity());
  p.appended = c.appended;
  p.written = c.written;
  p.malformed = c.malformed;
  for (std::size_t i = 0; i < kDropReasonCount; ++i) p.dropped[i] = c.dropped[i] + c.writer_dropped[i];
  p.created_ns = id.created_unix_ns;
  return p;
}

}  // namespace

Result<ProducersSummary> summarize_producers(const std::string& dir) {
  ProducersSummary out;
  if (auto state = segment::LogState::open_for_reader(dir); state.is_ok() && state->has_value()) {
    const segment::LogState& s = **state;
    const segment::LogWriterIdentity w = s.writer();
    if (w.pid != 0 && s.writer_alive()) {
      out.writer = WriterInfo{static_cast<std::int32_t>(w.pid), w.since_ns, w.generation, s.written_offset(),
                              s.committed_offset()};
    }
  }
  auto marker = segment::LogMarker::read(dir);
  if (!marker) return marker.status();
  if (!marker->has_value()) return out;  // no marker: no rings either
  const std::uint64_t log_id = (*marker)->log_id;
  const std::string rings_dir = engine::RingDirectory::rings_location(dir, log_id);
  auto control = engine::RingControl::open_existing(rings_dir, log_id);
  if (!control.is_ok()) {
    if (control.status().code() == StatusCode::kNotFound) return out;  // no producer ever attached
    return control.status();
  }
  const engine::RetiredCounters retired = control->retired();
  out.producers_died = retired.producers_died;
  out.producer_died = retired.producer_died;
  out.malformed = retired.malformed;
  out.ring_bytes_total = control->ring_bytes_total();
  out.budget_bytes = control->budget_bytes();
  std::vector<io::DirEntry> names;
  if (io::env().list_directory(rings_dir, &names) < 0) return out;
  engine::RingExpectation expect{log_id, engine::current_boot_id(), 0, (*marker)->file_mode};
  for (const io::DirEntry& e : names) {
    const std::uint64_t id = engine::RingDirectory::ring_id_of(e.name);
    if (id == 0) continue;
    expect.ring_id = id;
    auto ring = engine::SharedRing::open_existing(rings_dir + "/" + e.name, expect);
    if (!ring.is_ok()) continue;  // reclaimed meanwhile, or not one this user may read
    ProducerInfo p = info_of(*ring);
    out.malformed += p.malformed;
    if (!p.alive) {
      ++out.producers_died;  // dead, not yet reclaimed (a reclaimed one is in retired)
      if (p.died_mid_entry) ++out.producer_died;
    }
    out.producers.push_back(std::move(p));
  }
  for (const engine::ControlTombstone& t : control->tombstones()) {
    if (t.died == 0) continue;
    ProducerInfo p;
    p.producer = hex16(t.producer_id == 0 ? t.ring_id : t.producer_id);
    p.pid = t.pid;
    p.role = "attached";
    p.alive = false;
    p.died_mid_entry = t.died == 2;
    p.sealed = true;
    p.appended = t.appended;
    p.dropped = t.dropped;
    out.producers.push_back(std::move(p));
  }
  return out;
}

}  // namespace spool

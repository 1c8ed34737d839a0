#include "tools/report_json.h"

#include "segment/segment_header.h"

namespace spool::tools {

using nlohmann::ordered_json;

ordered_json damaged_range_json(const segment::DamagedRange& range) {
  ordered_json j;
  j["segment"] = range.segment_base;
  j["file"] = segment::segment_file_name(range.segment_base);
  j["from_byte"] = range.from_byte;
  j["to_byte"] = range.to_byte;
  j["bytes"] = range.bytes();
  j["reason"] = range.reason;
  return j;
}

namespace {

ordered_json ranges_json(const std::vector<segment::DamagedRange>& ranges) {
  ordered_json a = ordered_json::array();
  for (const auto& r : ranges) a.push_back(damaged_range_json(r));
  return a;
}

}  // namespace

ordered_json damage_json(const segment::RecoveryReport& report) {
  ordered_json a = ordered_json::array();
  for (const auto& r : report.skipped) {
    ordered_json j = damaged_range_json(r);
    j["kind"] = "skipped";
    a.push_back(std::move(j));
  }
  for (const auto& r : report.truncated) {
    ordered_json j = damaged_range_json(r);
    j["kind"] = "truncated";
    a.push_back(std::move(j));
  }
  return a;
}

std::uint64_t damaged_range_count(const segment::RecoveryReport& report) {
  return report.skipped.size() + report.truncated.size();
}

std::uint64_t damaged_bytes(const segment::RecoveryReport& report) {
  std::uint64_t n = 0;
  for (const auto& r : report.skipped) n += r.bytes();
  for (const auto& r : report.truncated) n += r.bytes();
  return n;
}

ordered_json cursors_past_end_json(const segment::RecoveryReport& report) {
  ordered_json a = ordered_json::array();
  for (const auto& c : report.cursors_past_end) {
    ordered_json j;
    j["cursor"] = c.name;
    j["next_offset"] = c.next_offset;
    j["log_end"] = c.log_end;
    j["offsets_skipped"] = c.gap();
    a.push_back(std::move(j));
  }
  return a;
}

ordered_json recovery_report_json(const segment::RecoveryReport& report) {
  ordered_json j;
  j["clean_shutdown"] = report.clean_shutdown;
  j["full_scan"] = report.full_scan;
  j["segments"] = report.segments;
  j["segments_scanned"] = report.segments_scanned;
  j["records_scanned"] = report.records_scanned;
  j["recovery_point"] = report.recovery_point;
  j["next_offset"] = report.next_offset;
  j["offsets_skipped"] = report.offsets_skipped;
  j["cursors_past_end"] = cursors_past_end_json(report);
  j["truncated"] = ranges_json(report.truncated);
  j["skipped"] = ranges_json(report.skipped);
  j["rebuilt_indexes"] = report.rebuilt_indexes;
  j["removed_files"] = report.removed_files;
  j["notes"] = report.notes;
  return j;
}

}  // namespace spool::tools

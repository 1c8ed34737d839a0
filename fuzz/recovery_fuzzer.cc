// recovery_fuzzer: builds a log directory from the input (log_spec.h), recovers it, reads
// everything, appends, closes, reopens, and checks the log's invariants at every step.
// A violated invariant calls abort(), which libFuzzer reports like a crash.
//
// Every iteration:
//   1. open read-only (no lock, no writes) and read everything; the directory must be
//      byte-for-byte unchanged afterwards;
//   2. open read-write (recovery: truncates torn tails, removes leftovers) — a clean error
//      Status is acceptable, anything else must hold:
//        offsets strictly increasing, within [first_offset, next_offset); every payload
//        inside its segment's mapping and re-validating as a frame; records <= record_count;
//        read(offset) returns the same record; scan_from_time finds the first record at or
//        after a time; and, on an honest directory (log_image.h), exactly the frames that
//        are intact on disk, the same as the read-only open saw;
//   3. append a few records (one call each or batches) with small segments so they rotate:
//      their offsets continue from next_offset, read back identical;
//   4. close, reopen read-write: must succeed after a clean close and show the same records;
//   5. open read-only with full_recovery_scan: must succeed, change nothing, and agree.
//
// The directory lives on tmpfs (/dev/shm, or $SPOOL_FUZZ_DIR), one per process, emptied at
// the start of each iteration and removed at exit.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "log_image.h"
#include "log_spec.h"
#include "segment/frame_format.h"
#include "segment/segment_header.h"
#include "segment/segment_log.h"

// UBSan reports are fatal here: the build does not pass -fno-sanitize-recover.
extern "C" const char* __ubsan_default_options() { return "halt_on_error=1:print_stacktrace=1"; }

namespace {

using spool::fuzz::LogImage;
using spool::fuzz::Record;
using spool::segment::LogReader;
using spool::segment::OpenMode;
using spool::segment::RecordView;
using spool::segment::SegmentLog;

const LogImage* g_image = nullptr;  // for failure reports

[[noreturn]] void fail(const char* file, int line, const char* cond, const char* fmt, ...) {
  std::fprintf(stderr, "\n*** recovery invariant violated at %s:%d: %s\n    ", file, line, cond);
  va_list ap;
  va_start(ap, fmt);
  std::vfprintf(stderr, fmt, ap);
  va_end(ap);
  if (g_image != nullptr) {
    std::fprintf(stderr, "\n    directory honest=%d log_id_known=%d%s%s\n", g_image->honest,
                 g_image->log_id_known, g_image->honest ? "" : " relaxed because: ",
                 g_image->relaxed_because.c_str());
  }
  std::fputc('\n', stderr);
  std::abort();
}

#define FUZZ_CHECK(cond, ...)                                        \
  do {                                                               \
    if (!(cond)) fail(__FILE__, __LINE__, #cond, __VA_ARGS__);       \
  } while (0)

using ULL = unsigned long long;

std::string make_work_dir() {
  const char* root = std::getenv("SPOOL_FUZZ_DIR");
  std::string dir = std::string(root != nullptr && *root != '\0' ? root : "/dev/shm") +
                    "/spool-recovery-fuzz-" + std::to_string(::getpid());
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  std::filesystem::create_directories(dir, ec);
  FUZZ_CHECK(!ec, "cannot create %s: %s", dir.c_str(), ec.message().c_str());
  return dir;
}

const std::string& work_dir() {
  // Never destroyed: the exit handler that removes the directory runs after static
  // destructors.
  static const std::string* const dir = [] {
    auto* d = new std::string(make_work_dir());
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(work_dir(), ec);
    });
    return d;
  }();
  return *dir;
}

// Names and contents of everything in the directory: a read-only open must not change it.
std::map<std::string, std::string> snapshot(const std::string& dir) {
  std::map<std::string, std::string> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (e.is_directory()) {
      out[name] = "<dir>";
      continue;
    }
    std::string bytes;
    const int fd = ::open(e.path().c_str(), O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      char buf[8192];
      ssize_t n;
      while ((n = ::read(fd, buf, sizeof buf)) > 0) bytes.append(buf, static_cast<std::size_t>(n));
      ::close(fd);
    }
    out[name] = std::move(bytes);
  }
  return out;
}

std::string describe(const std::vector<Record>& records) {
  std::string s = "[";
  for (std::size_t i = 0; i < records.size() && i < 40; ++i) {
    s += (i ? " " : "") + std::to_string(records[i].offset) + ":" +
         std::to_string(records[i].payload.size());
  }
  if (records.size() > 40) s += " ...";
  return s + "] (" + std::to_string(records.size()) + " records)";
}

// Checks that a view points into its segment's readable bytes at a frame that validates.
void check_view(const SegmentLog& log, const RecordView& v, std::uint32_t max_payload) {
  using namespace spool::segment;
  FUZZ_CHECK(v.segment != nullptr, "record %llu has no segment", (ULL)v.offset);
  FUZZ_CHECK(v.mapping != nullptr, "record %llu holds no mapping", (ULL)v.offset);
  const auto* data = v.mapping->data();
  const std::uint64_t end = std::min<std::uint64_t>(v.segment->committed_end(), v.mapping->size());
  const auto begin_addr = reinterpret_cast<std::uintptr_t>(data);
  const auto payload_addr = reinterpret_cast<std::uintptr_t>(v.payload.data());
  FUZZ_CHECK(data != nullptr && payload_addr >= begin_addr + kSegmentHeaderBytes + kFrameHeaderBytes &&
                 payload_addr + v.payload.size() <= begin_addr + end,
             "record %llu payload [%llu, +%zu) outside segment %llu's readable bytes [64, %llu)",
             (ULL)v.offset, (ULL)(payload_addr - begin_addr), v.payload.size(),
             (ULL)v.segment->base_offset(), (ULL)end);
  const std::uint8_t* frame = v.payload.data() - kFrameHeaderBytes;
  FrameHeader h;
  const FrameCheck c = check_frame(frame, static_cast<std::size_t>(data + end - frame),
                                   log.log_id(), max_payload, &h);
  FUZZ_CHECK(c == FrameCheck::kValid && h.offset == v.offset && h.timestamp_ns == v.timestamp_ns &&
                 h.record_type == v.type && h.flags == v.flags &&
                 h.payload_length == v.payload.size(),
             "record %llu is not the frame it points at (check %d)", (ULL)v.offset, (int)c);
  FUZZ_CHECK(v.offset >= v.segment->base_offset(), "record %llu below its segment's base %llu",
             (ULL)v.offset, (ULL)v.segment->base_offset());
}

Record to_record(const RecordView& v) {
  return Record{v.offset, v.timestamp_ns, v.type, v.flags,
                std::string(reinterpret_cast<const char*>(v.payload.data()), v.payload.size())};
}

// Offsets must stay inside the offset space (log_image.h), whatever the directory held.
[[nodiscard]] bool check_offset_space(const SegmentLog& log, const char* when) {
  if (log.next_offset() <= spool::fuzz::kOffsetSpaceEnd) return true;
  fail(__FILE__, __LINE__, "log.next_offset() <= kOffsetSpaceEnd",
       "next_offset %llu is outside the offset space %s", (ULL)log.next_offset(), when);
}

// Reads from `from` to the end, checking each view and the order of offsets.
std::vector<Record> read_all(const SegmentLog& log, std::uint64_t from, std::uint32_t max_payload) {
  std::vector<Record> out;
  LogReader reader = log.scan(from);
  RecordView v;
  while (reader.next(&v)) {
    check_view(log, v, max_payload);
    FUZZ_CHECK(v.offset < spool::fuzz::kOffsetSpaceEnd,
               "read a record at offset %llu, outside the offset space", (ULL)v.offset);
    FUZZ_CHECK(v.offset >= from, "scan(%llu) returned offset %llu", (ULL)from, (ULL)v.offset);
    FUZZ_CHECK(out.empty() || v.offset > out.back().offset,
               "offsets not strictly increasing: %llu after %llu", (ULL)v.offset,
               (ULL)out.back().offset);
    out.push_back(to_record(v));
    FUZZ_CHECK(out.size() < 1'000'000, "reader does not terminate");
  }
  return out;
}

// The checks that need the log to be honest (log_image.h) to be meaningful.
void check_strict_reads(const SegmentLog& log, const std::vector<Record>& records,
                        std::uint8_t time_probe) {
  const std::uint64_t first = log.first_offset();
  const std::uint64_t next = log.next_offset();
  FUZZ_CHECK(records.size() <= log.record_count(), "read %zu records, record_count() is %llu",
             records.size(), (ULL)log.record_count());
  for (const Record& r : records) {
    FUZZ_CHECK(r.offset >= first && r.offset < next,
               "offset %llu outside [first_offset %llu, next_offset %llu)", (ULL)r.offset,
               (ULL)first, (ULL)next);
    auto got = log.read(r.offset);
    FUZZ_CHECK(got.is_ok(), "read(%llu) failed: %s", (ULL)r.offset,
               got.status().to_string().c_str());
    FUZZ_CHECK(to_record(got.value()) == r, "read(%llu) returned another record (offset %llu)",
               (ULL)r.offset, (ULL)got.value().offset);
    // The offset just before a record that the scan did not return must not be readable.
    if (r.offset > first && (&r == records.data() || (&r)[-1].offset != r.offset - 1)) {
      auto gap = log.read(r.offset - 1);
      FUZZ_CHECK(!gap.is_ok() && gap.status().code() == spool::StatusCode::kNotFound,
                 "read(%llu) of an offset the scan skipped returned a record", (ULL)r.offset - 1);
    }
  }
  auto past = log.read(next);
  FUZZ_CHECK(!past.is_ok() && past.status().code() == spool::StatusCode::kNotFound,
             "read(next_offset %llu) did not say NotFound", (ULL)next);

  // scan_from_time: the first record (in offset order) with timestamp >= t.
  std::int64_t t;
  const std::size_t pick = time_probe % (records.size() + 2);
  if (pick < records.size()) {
    t = records[pick].timestamp_ns + ((time_probe & 0x80) != 0 ? 1 : 0);
  } else {
    t = pick == records.size() ? std::numeric_limits<std::int64_t>::min()
                               : std::numeric_limits<std::int64_t>::max();
  }
  const Record* want = nullptr;
  for (const Record& r : records) {
    if (r.timestamp_ns >= t) {
      want = &r;
      break;
    }
  }
  LogReader by_time = log.scan_from_time(t);
  RecordView v;
  const bool found = by_time.next(&v);
  FUZZ_CHECK(found == (want != nullptr) && (!found || v.offset == want->offset),
             "scan_from_time(%lld) gave %s%llu, expected %s%llu", (long long)t,
             found ? "offset " : "nothing ", found ? (ULL)v.offset : 0ull,
             want ? "offset " : "nothing ", want ? (ULL)want->offset : 0ull);
}

// The largest payload append accepts with these options (SegmentLog::check_record).
std::uint64_t max_append_payload(const spool::LogOptions& o) {
  return std::min<std::uint64_t>(o.max_record_bytes, spool::segment::segment_payload_room(o.segment_bytes));
}

// Appends the spec's records; returns those that were acknowledged. On a dishonest
// directory an append may fail cleanly (e.g. forged metadata put the tail where a frame
// cannot go); *stopped is then set and nothing more is expected of this log.
std::vector<Record> append_records(SegmentLog& log, const spool::fuzz::LogSpec& spec,
                                   const spool::LogOptions& options, bool strict,
                                   bool* stopped) {
  using spool::segment::AppendRecord;
  std::vector<Record> wanted;
  for (std::size_t i = 0; i < spec.appends.size(); ++i) {
    const auto& a = spec.appends[i];
    Record r;
    r.timestamp_ns = spool::fuzz::kFirstTimestampNs + 5'000'000'000 +
                     static_cast<std::int64_t>(i) * 1000 -
                     static_cast<std::int64_t>(a.type & 3) * 1'000'000'000;
    r.type = a.type;
    r.flags = 0;
    r.payload = spool::fuzz::generated_payload(0xA99E9D + i, a.length * 3u);
    wanted.push_back(std::move(r));
  }
  const std::uint64_t limit = max_append_payload(options);
  std::vector<Record> done;
  auto submit = [&](std::size_t from, std::size_t to) -> bool {
    if (from >= to) return true;
    std::vector<AppendRecord> batch;
    bool too_large = false;
    for (std::size_t i = from; i < to; ++i) {
      const Record& r = wanted[i];
      batch.push_back(AppendRecord{
          r.type,
          std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(r.payload.data()),
                                        r.payload.size()),
          r.timestamp_ns, r.flags});
      too_large = too_large || r.payload.size() > limit;
    }
    const std::uint64_t expect = log.next_offset();
    const std::uint64_t count_before = log.record_count();
    auto got = batch.size() == 1 ? log.append(batch[0].type, batch[0].payload, batch[0].timestamp_ns)
                                 : log.append_batch(batch);
    const bool out_of_offsets = expect > spool::fuzz::kOffsetSpaceEnd ||
                                batch.size() > spool::fuzz::kOffsetSpaceEnd - expect;
    if (too_large || out_of_offsets) {
      FUZZ_CHECK(!got.is_ok() && got.status().code() == spool::StatusCode::kInvalidArgument,
                 "append %s was not rejected",
                 too_large ? "of an oversized payload" : "past the end of the offset space");
      FUZZ_CHECK(log.next_offset() == expect && log.record_count() == count_before,
                 "a rejected append changed the log");
      return true;
    }
    if (!got.is_ok()) {
      FUZZ_CHECK(!strict, "append failed on an honest log: %s", got.status().to_string().c_str());
      *stopped = true;
      return false;
    }
    const std::uint64_t n = batch.size();
    FUZZ_CHECK(got.value() == expect, "append returned offset %llu, next_offset was %llu",
               (ULL)got.value(), (ULL)expect);
    FUZZ_CHECK(expect + n > expect && log.next_offset() == expect + n,
               "after appending %llu records at %llu, next_offset is %llu (offsets wrapped?)",
               (ULL)n, (ULL)expect, (ULL)log.next_offset());
    FUZZ_CHECK(log.record_count() == count_before + n, "record_count went from %llu to %llu",
               (ULL)count_before, (ULL)log.record_count());
    for (std::size_t i = from; i < to; ++i) {
      Record r = wanted[i];
      r.offset = expect + (i - from);
      done.push_back(std::move(r));
    }
    return true;
  };
  const std::size_t n = wanted.size();
  switch (spec.batch_mode % 3) {
    case 0:
      for (std::size_t i = 0; i < n; ++i) {
        if (!submit(i, i + 1)) break;
      }
      break;
    case 1: submit(0, n); break;
    default:
      if (submit(0, n / 2)) submit(n / 2, n);
      break;
  }
  return done;
}

std::vector<Record> concat(std::vector<Record> a, const std::vector<Record>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const spool::fuzz::LogSpec spec = spool::fuzz::decode_log_spec({data, size});
  const LogImage image = spool::fuzz::build_log_image(spec);
  g_image = &image;
  struct ForgetImage {
    ~ForgetImage() { g_image = nullptr; }
  } forget_image;
  const bool strict = image.honest;
  static const bool verbose = std::getenv("SPOOL_FUZZ_VERBOSE") != nullptr;
  const std::uint32_t max_payload = image.options.max_record_bytes;

  const std::string dir = work_dir() + "/log";
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  FUZZ_CHECK(std::filesystem::create_directory(dir, ec), "cannot create %s", dir.c_str());
  FUZZ_CHECK(spool::fuzz::write_log_image(dir, image), "cannot write the log image");

  // 1. Read-only open of the damaged directory: may fail cleanly, never writes.
  std::vector<Record> before;
  bool before_ok = false;
  {
    const auto files = snapshot(dir);
    {  // the mappings go before recovery truncates anything
      auto ro = SegmentLog::open(dir, image.options, OpenMode::kReadOnly);
      if (ro) {
        if (!check_offset_space(*ro.value(), "after a read-only open")) return 0;
        before = read_all(*ro.value(), 0, max_payload);
        before_ok = true;
        if (strict) check_strict_reads(*ro.value(), before, spec.time_probe);
      }
    }
    FUZZ_CHECK(snapshot(dir) == files, "a read-only open changed the directory");
  }

  // 2. Read-write open: recovery.
  auto opened = SegmentLog::open(dir, image.options, OpenMode::kReadWrite);
  if (!opened) return 0;  // a clean error value is an acceptable answer to damage
  std::unique_ptr<SegmentLog> log = std::move(opened.value());
  FUZZ_CHECK(log->segment_count() >= 1, "a read-write log has no active segment");
  if (!check_offset_space(*log, "after recovery")) return 0;
  const std::vector<Record> recovered = read_all(*log, 0, max_payload);
  if (strict) {
    if (image.log_id_known) {
      FUZZ_CHECK(recovered == image.reference, "recovery kept %s, intact on disk: %s",
                 describe(recovered).c_str(), describe(image.reference).c_str());
    }
    if (before_ok) {
      FUZZ_CHECK(recovered == before, "read-write open sees %s, read-only open saw %s",
                 describe(recovered).c_str(), describe(before).c_str());
    }
    FUZZ_CHECK(log->recovery_report().next_offset == log->next_offset(),
               "recovery report says next offset %llu, log says %llu",
               (ULL)log->recovery_report().next_offset, (ULL)log->next_offset());
    check_strict_reads(*log, recovered, spec.time_probe);
  }
  FUZZ_CHECK(log->first_offset() <= log->next_offset(), "first_offset %llu > next_offset %llu",
             (ULL)log->first_offset(), (ULL)log->next_offset());

  // 3. Appends continue the offsets.
  bool stopped = false;
  const std::uint64_t next_before_appends = log->next_offset();
  const std::vector<Record> appended = append_records(*log, spec, image.options, strict, &stopped);
  if (strict && !appended.empty()) {
    const auto tail = read_all(*log, next_before_appends, max_payload);
    FUZZ_CHECK(tail == appended, "read back %s after appending %s", describe(tail).c_str(),
               describe(appended).c_str());
    const auto all = read_all(*log, 0, max_payload);
    FUZZ_CHECK(all == concat(recovered, appended), "log holds %s after appends, expected %s",
               describe(all).c_str(), describe(concat(recovered, appended)).c_str());
    check_strict_reads(*log, all, spec.time_probe);
  }
  const std::uint64_t next_after_appends = log->next_offset();
  if (!check_offset_space(*log, "after appends")) return 0;

  // 4. Clean close, then reopen: must succeed and show the same records.
  const spool::Status closed = log->close();
  FUZZ_CHECK(closed.is_ok(), "close failed: %s", closed.to_string().c_str());
  log.reset();
  spool::LogOptions reopen_options = image.options;
  reopen_options.full_recovery_scan = false;
  auto reopened = SegmentLog::open(dir, reopen_options, OpenMode::kReadWrite);
  FUZZ_CHECK(reopened.is_ok(), "reopen after a clean close failed: %s",
             reopened.status().to_string().c_str());
  log = std::move(reopened.value());
  FUZZ_CHECK(log->recovery_report().clean_shutdown, "a clean close was not seen as clean");
  if (!check_offset_space(*log, "after a clean reopen")) return 0;
  const auto after_reopen = read_all(*log, 0, max_payload);
  if (strict) {
    FUZZ_CHECK(after_reopen == concat(recovered, appended), "reopened log holds %s, expected %s",
               describe(after_reopen).c_str(), describe(concat(recovered, appended)).c_str());
    FUZZ_CHECK(log->recovery_report().truncated.empty(), "reopen after a clean close truncated");
    FUZZ_CHECK(log->next_offset() == next_after_appends, "next_offset %llu after reopen, was %llu",
               (ULL)log->next_offset(), (ULL)next_after_appends);
  } else if (!stopped) {
    FUZZ_CHECK(log->next_offset() >= next_after_appends,
               "next_offset went back from %llu to %llu across a clean reopen",
               (ULL)next_after_appends, (ULL)log->next_offset());
  }
  FUZZ_CHECK(log->close().is_ok(), "second close failed");
  log.reset();

  // 5. Read-only full scan: must open, change nothing, and agree.
  {
    spool::LogOptions full = image.options;
    full.full_recovery_scan = true;
    const auto files = snapshot(dir);
    {
      auto ro = SegmentLog::open(dir, full, OpenMode::kReadOnly);
      FUZZ_CHECK(ro.is_ok(), "read-only full scan failed: %s", ro.status().to_string().c_str());
      const auto scanned = read_all(*ro.value(), 0, max_payload);
      if (strict) {
        FUZZ_CHECK(scanned == after_reopen, "full scan sees %s, reopened log saw %s",
                   describe(scanned).c_str(), describe(after_reopen).c_str());
        FUZZ_CHECK(ro.value()->record_count() == scanned.size(),
                   "full scan counts %llu records, reads %zu", (ULL)ro.value()->record_count(),
                   scanned.size());
      }
    }
    FUZZ_CHECK(snapshot(dir) == files, "a read-only full scan changed the directory");
  }
  if (verbose) {
    std::fprintf(stderr, "spool-fuzz: honest=%d log_id_known=%d intact=%zu recovered=%zu "
                 "appended=%zu%s%s\n", image.honest, image.log_id_known, image.reference.size(),
                 recovered.size(), appended.size(), image.honest ? "" : " relaxed because: ",
                 image.relaxed_because.c_str());
  }
  return 0;
}

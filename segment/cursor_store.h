// CursorStore: the named consumer cursors of one log directory.
//
// A cursor's committed value is the NEXT offset to deliver (Kafka semantics): a consumer
// that has delivered offsets [0, n) commits n. Retention never frees a segment a cursor still
// needs unless the size cap forces it (retention.cc reads min_next_offset()).
//
// Layout: <log_dir>/cursors/<name>.cursor, one file per cursor. A name is 1..64 characters
// of [A-Za-z0-9._-] not starting with '.', so it is always a plain, visible file name.
//
// Cursor file, little-endian, 48 + n + m bytes:
//
//   byte      size  field
//   0         8     magic          "SPOOLCUR"
//   8         4     version        1
//   12        2     name_length    n, 1..64
//   14        2     reserved       zero
//   16        4     state_length   m, 0..65536
//   20        4     reserved       zero
//   24        8     next_offset    next offset to deliver, <= 2^63
//   32        8     updated_ns     wall clock of the commit (signed ns since the Unix epoch)
//   40        n     name           must equal the file's name without ".cursor"
//   40+n      m     state          opaque to this layer (the engine's forwarding totals)
//   40+n+m    8     checksum       XXH3-64 of bytes 0 .. 40+n+m-1
//
// Commit is atomic and crash-safe: write <name>.cursor.tmp, fsync it, rename it over
// <name>.cursor, fsync the directory. A kill -9 (or power loss) at any point leaves either
// the old or the new file, never a torn one. A leftover <name>.cursor.tmp is ignored by
// reads, overwritten by the next commit of that name, and removed by open() once it is
// older than kStaleTempAge (younger ones may be another process's commit in flight).
//
// Concurrency: different names may be committed concurrently from any threads or processes
// (each name has its own temp file). One name has ONE writer at a time: two concurrent
// commits of the same name share its temp file and may publish a mix of attempts, so the
// owner of a cursor (one forwarder) is its only writer. Reads may run concurrently with
// commits: they see the old or the new value.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "io/file.h"
#include "spool/status.h"

namespace spool::segment {

struct CursorRecord {
  std::string name;
  std::uint64_t next_offset = 0;  // next offset to deliver
  std::int64_t updated_ns = 0;    // wall clock of the commit; commit() stamps it when 0
  std::string state;              // opaque blob, at most CursorStore::kMaxStateBytes
};

class CursorStore {
 public:
  static constexpr std::string_view kDirName = "cursors";
  static constexpr std::string_view kSuffix = ".cursor";
  static constexpr std::size_t kMaxNameBytes = 64;
  static constexpr std::size_t kMaxStateBytes = 64 * 1024;
  static constexpr std::size_t kFixedBytes = 48;  // header + checksum
  static constexpr std::size_t kMaxFileBytes = kFixedBytes + kMaxNameBytes + kMaxStateBytes;
  static constexpr std::int64_t kStaleTempAgeNs = 60ll * 1'000'000'000;

  // Opens the store of `log_dir`, creating <log_dir>/cursors if needed, and removes stale
  // temp files left by crashed commits.
  static Result<CursorStore> open(const std::string& log_dir);
  // The store of `log_dir` without creating or removing anything (for retention and
  // read-only tools): reads see no cursors when the directory does not exist.
  static CursorStore at(const std::string& log_dir);

  // InvalidArgument (saying why) unless `name` is a valid cursor name.
  static Status validate_name(std::string_view name);

  // nullopt when the cursor does not exist; Corruption (naming the file) when it is damaged.
  Result<std::optional<CursorRecord>> load(std::string_view name) const;
  // Every cursor, sorted by name. A damaged cursor file makes this an error naming it.
  // Files that are not <valid name>.cursor are ignored.
  Result<std::vector<CursorRecord>> list() const;
  // Atomically replaces (or creates) the cursor `record.name`. updated_ns == 0 means now.
  Status commit(const CursorRecord& record);
  // Deletes the cursor; NotFound when it does not exist.
  Status remove(std::string_view name);
  // The retention floor: the smallest next_offset over all cursors, nullopt without any.
  // A damaged cursor file makes this an error (retention must then keep everything).
  Result<std::optional<std::uint64_t>> min_next_offset() const;

  const std::string& dir() const noexcept { return dir_; }
  // The mode of the files it creates (the log's file_mode, from its marker).
  mode_t file_mode() const noexcept { return file_mode_; }
  std::string path_of(std::string_view name) const;

  // The file format, exposed for tests and tools. decode() checks everything and says what
  // is wrong (without the path; load() adds it).
  static std::string encode(const CursorRecord& record);
  static Result<CursorRecord> decode(std::string_view bytes);

 private:
  explicit CursorStore(std::string dir) : dir_(std::move(dir)) {}
  void remove_stale_temp_files() const;

  std::string dir_;  // <log_dir>/cursors
  mode_t file_mode_ = io::kPrivateFileMode;  // of cursor files (the log's, from its marker)
};

}  // namespace spool::segment

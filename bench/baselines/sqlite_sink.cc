// Baseline: an SQLite insert buffer, how edge devices commonly buffer predictions and spans
// until they can upload them. journal_mode=WAL, synchronous=NORMAL (commits append to the
// WAL without fsync; checkpoints sync), one table with an INTEGER PRIMARY KEY (the rowid, so
// rows are appended in key order) and the span's ids, times and status as columns beside the
// JSON payload. No secondary index: an index on trace_id would slow every insert.
//
// Batching: one prepared INSERT per span under a mutex (one connection, as such buffers
// have), inside a transaction committed every 1000 rows or by flush_and_wait: a commit per
// row pays the WAL frame and lock overhead per span, which no buffer that cares about
// throughput does; 1000 rows amortise it while keeping few rows uncommitted.
// The JSON line is built before the mutex is taken, so producers format in parallel.
#include <sqlite3.h>

#include <memory>
#include <mutex>
#include <string>

#include "bench/baselines/span_sink.h"
#include "tools/standard_span.h"

namespace spool::bench {

namespace {

constexpr int kRowsPerTransaction = 1000;

constexpr const char* kSchema =
    "PRAGMA journal_mode=WAL;"
    "PRAGMA synchronous=NORMAL;"
    "CREATE TABLE IF NOT EXISTS spans ("
    "  id INTEGER PRIMARY KEY,"
    "  trace_id BLOB NOT NULL,"
    "  span_id BLOB NOT NULL,"
    "  parent_span_id BLOB,"
    "  name TEXT NOT NULL,"
    "  start_ns INTEGER NOT NULL,"
    "  end_ns INTEGER NOT NULL,"
    "  status INTEGER NOT NULL,"
    "  payload TEXT NOT NULL);";

constexpr const char* kInsert =
    "INSERT INTO spans (trace_id, span_id, parent_span_id, name, start_ns, end_ns, status, "
    "payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?)";

Status sqlite_error(sqlite3* db, const std::string& what) {
  return Status::io_error("sqlite " + what + ": " + (db ? sqlite3_errmsg(db) : "out of memory"));
}

class SqliteSink final : public SpanSink {
 public:
  ~SqliteSink() override {
    (void)commit();
    sqlite3_finalize(insert_);
    sqlite3_close(db_);  // checkpoints the WAL into the database and removes it
  }

  Status open(const std::string& path) {
    if (sqlite3_open_v2(path.c_str(), &db_,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        nullptr) != SQLITE_OK) {
      return sqlite_error(db_, "open " + path);
    }
    if (sqlite3_exec(db_, kSchema, nullptr, nullptr, nullptr) != SQLITE_OK) {
      return sqlite_error(db_, "schema");
    }
    if (sqlite3_prepare_v2(db_, kInsert, -1, &insert_, nullptr) != SQLITE_OK) {
      return sqlite_error(db_, "prepare");
    }
    return Status::ok();
  }

  bool append(const Span& span) override {
    thread_local std::string line;
    line.clear();
    tools::append_span_json(line, span);
    std::lock_guard<std::mutex> lock(mu_);
    if (rows_in_transaction_ == 0 && !exec("BEGIN")) return false;
    sqlite3_bind_blob(insert_, 1, span.trace_id.bytes.data(), 16, SQLITE_STATIC);
    sqlite3_bind_blob(insert_, 2, span.span_id.bytes.data(), 8, SQLITE_STATIC);
    if (span.parent_span_id.valid()) {
      sqlite3_bind_blob(insert_, 3, span.parent_span_id.bytes.data(), 8, SQLITE_STATIC);
    } else {
      sqlite3_bind_null(insert_, 3);
    }
    sqlite3_bind_text(insert_, 4, span.name.data(), static_cast<int>(span.name.size()),
                      SQLITE_STATIC);
    sqlite3_bind_int64(insert_, 5, span.start_ns);
    sqlite3_bind_int64(insert_, 6, span.end_ns);
    sqlite3_bind_int(insert_, 7, static_cast<int>(span.status));
    sqlite3_bind_text(insert_, 8, line.data(), static_cast<int>(line.size()), SQLITE_STATIC);
    const bool inserted = sqlite3_step(insert_) == SQLITE_DONE;
    sqlite3_reset(insert_);
    if (inserted && ++rows_in_transaction_ >= kRowsPerTransaction) return commit_locked();
    return inserted;
  }

  Status flush_and_wait() override {
    if (!commit()) return sqlite_error(db_, "commit");
    return Status::ok();
  }

 private:
  bool exec(const char* sql) { return sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) == SQLITE_OK; }
  bool commit() {
    std::lock_guard<std::mutex> lock(mu_);
    return commit_locked();
  }
  bool commit_locked() {
    if (rows_in_transaction_ == 0) return true;
    rows_in_transaction_ = 0;
    return exec("COMMIT");
  }

  std::mutex mu_;
  sqlite3* db_ = nullptr;
  sqlite3_stmt* insert_ = nullptr;
  int rows_in_transaction_ = 0;
};

}  // namespace

Result<std::unique_ptr<SpanSink>> open_sqlite_sink(const std::string& dir) {
  auto sink = std::make_unique<SqliteSink>();
  Status s = sink->open(dir + "/spans.db");
  if (!s) return s;
  return std::unique_ptr<SpanSink>(std::move(sink));
}

}  // namespace spool::bench

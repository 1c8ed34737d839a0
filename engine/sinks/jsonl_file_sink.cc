// JsonlFileSink: records as JSON lines appended to a file (see spool/jsonl_file_sink.h).
#include "spool/jsonl_file_sink.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "engine/sinks/json_text.h"
#include "engine/sinks/otlp/otlp_json_encoder.h"
#include "io/env.h"
#include "spool/record_verify.h"

namespace spool {

namespace {


std::string errno_text(int e) { return std::strerror(e); }

class JsonlFileSink final : public Sink {
 public:
  JsonlFileSink(std::string path, int fd, bool regular_file, bool fsync_each_batch)
      : path_(std::move(path)), fd_(fd), regular_file_(regular_file), fsync_each_batch_(fsync_each_batch) {}
  ~JsonlFileSink() override { (void)io::env().close(fd_); }
  JsonlFileSink(const JsonlFileSink&) = delete;
  JsonlFileSink& operator=(const JsonlFileSink&) = delete;

  std::string name() const override { return "jsonl"; }

  FlushResult send(const ForwardBatch& batch) override {
    lines_.clear();
    for (const ForwardRecord& r : batch.records) append_line(batch.log_id, r);
    // Where this batch starts: a failed write is cut back to here (-1: not a regular file,
    // e.g. /dev/stdout or a pipe, where there is nothing to cut).
    const off_t start = regular_file_ ? ::lseek(fd_, 0, SEEK_END) : -1;
    std::size_t done = 0;
    while (done < lines_.size()) {
      const ssize_t n = ::write(fd_, lines_.data() + done, lines_.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        const int e = n < 0 ? errno : EIO;
        // Best effort: if even this fails, readers of the file dedup by "key" (the retry
        // writes the whole batch again), and the torn line is the one JSON parsers skip.
        if (start >= 0 && io::env().ftruncate(fd_, static_cast<std::uint64_t>(start)) != 0) {
          // nothing more to do: the write error below is the one that matters
        }
        return FlushResult::failed("write " + path_ + ": " + errno_text(e));
      }
      done += static_cast<std::size_t>(n);
    }
    if (const int rc = fsync_each_batch_ && regular_file_ ? io::env().fdatasync(fd_) : 0; rc != 0) {
      const int e = -rc;
      return FlushResult::failed("fdatasync " + path_ + ": " + errno_text(e));
    }
    return FlushResult::succeeded(lines_.size());
  }

 private:
  void append_line(std::uint64_t log_id, const ForwardRecord& r) {
    const engine::IdempotencyKeyText key(log_id, r.offset);
    lines_ += "{\"key\":\"";
    lines_.append(key.view());
    lines_ += "\",\"log_id\":\"";
    lines_.append(key.view().substr(0, 16));  // the key starts with the log id in hex
    lines_ += "\",\"offset\":";
    engine::append_decimal(lines_, r.offset);
    lines_ += ",\"kind\":";
    engine::append_json_string(lines_, record_kind_name(r.kind));
    lines_ += ",\"priority\":";
    engine::append_json_string(lines_, priority_name(r.priority));
    lines_ += ",\"timestamp_ns\":";
    engine::append_decimal(lines_, r.timestamp_ns);
    lines_ += ",\"record\":";
    const std::size_t record_at = lines_.size();
    const Status s = encoder_.append_record(r, log_id, &lines_);
    if (!s) {
      lines_.resize(record_at);
      lines_ += "null,\"error\":";
      engine::append_json_string(lines_, s.to_string());
    }
    lines_ += "}\n";
  }

  std::string path_;
  int fd_;
  bool regular_file_;
  bool fsync_each_batch_;
  engine::OtlpJsonEncoder encoder_;
  std::string lines_;
};

}  // namespace

Result<std::unique_ptr<Sink>> make_jsonl_file_sink(std::string path, bool fsync_each_batch, mode_t file_mode) {
  if (path.empty()) return Status::invalid_argument("JSONL sink: empty file path");
  auto cannot_open = [&](int neg_errno) {
    return Status::io_error("JSONL sink: cannot open '" + path + "' for appending: " + errno_text(-neg_errno));
  };
  // A new file is ours and gets exactly file_mode; an existing one is appended to as it is,
  // unless another user owns it (the records would be theirs to read).
  constexpr int kFlags = O_WRONLY | O_APPEND | O_CLOEXEC;
  bool created = true;
  int fd = io::env().open(path, kFlags | O_CREAT | O_EXCL, file_mode);
  if (fd == -EEXIST) {
    created = false;
    fd = io::env().open(path, kFlags, 0);
  }
  if (fd < 0) return cannot_open(fd);
  // Anything writable will do (/dev/stdout for a look at the stream); only regular files can
  // be cut back after a failed write and fsync'd.
  struct stat st {};
  const int stat_rc = io::env().fstat(fd, &st);
  const bool regular = stat_rc == 0 && S_ISREG(st.st_mode);
  int rc = stat_rc;
  if (rc == 0 && regular && st.st_uid != ::geteuid()) {
    io::env().close(fd);
    return Status::permission_denied("JSONL sink: '" + path + "' is owned by uid " + std::to_string(st.st_uid) +
                                     ", not by this process's uid " + std::to_string(::geteuid()));
  }
  if (rc == 0 && created) rc = io::env().fchmod(fd, file_mode);
  if (rc < 0) {
    io::env().close(fd);
    return cannot_open(rc);
  }
  return std::unique_ptr<Sink>(new JsonlFileSink(std::move(path), fd, regular, fsync_each_batch));
}

}  // namespace spool

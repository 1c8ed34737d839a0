// spoolctl append DIR [--segment-bytes N] [--ack]
//
// Every stdin line is one record of type 0 (raw). With --ack, each record's offset is
// written to stdout, one per line, as soon as append() has returned it: the record is then
// in the log and survives a crash of this process (the log's default durability).
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <charconv>
#include <csignal>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "segment/segment_log.h"
#include "tools/cli_numbers.h"
#include "tools/commands/commands.h"
#include "tools/exit_codes.h"
#include "tools/line_reader.h"
#include "tools/log_directory.h"

namespace spool::tools {

namespace {

constexpr std::string_view kName = "append";

struct AppendArgs {
  std::string dir;
  std::optional<std::uint64_t> segment_bytes;
  bool ack = false;
};

volatile std::sig_atomic_t g_stop_signal = 0;

extern "C" void on_stop_signal(int sig) { g_stop_signal = sig; }

// SIGINT/SIGTERM end the input instead of killing the process, so the log is closed with a
// clean-shutdown marker. No SA_RESTART: the blocked read(2) must return EINTR to notice.
void install_stop_handlers() {
  struct sigaction sa;
  ::memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
  // A reader that goes away must not kill the writer mid-batch; the failed write says so.
  ::signal(SIGPIPE, SIG_IGN);
}

Status write_all(int fd, const std::string& bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::io_error(std::string("write acknowledgements to standard output: ") +
                              ::strerror(errno));
    }
    done += static_cast<std::size_t>(n);
  }
  return Status::ok();
}

// Prints offsets [first, end) straight to the fd (no stdio buffering to flush).
class AckWriter {
 public:
  explicit AckWriter(bool enabled) : enabled_(enabled) {}
  Status ack(std::uint64_t first, std::uint64_t end) {
    if (!enabled_ || first == end) return Status::ok();
    text_.clear();
    char digits[24];
    for (std::uint64_t o = first; o < end; ++o) {
      auto r = std::to_chars(digits, digits + sizeof digits, o);
      text_.append(digits, r.ptr);
      text_.push_back('\n');
    }
    return write_all(STDOUT_FILENO, text_);
  }

 private:
  bool enabled_;
  std::string text_;
};

std::span<const std::uint8_t> as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// Appends the lines as one batch and acknowledges them. If the batch is refused (a line too
// large for a record), appends line by line so that every line before the bad one still
// gets in, and names the bad line.
Status append_lines(segment::SegmentLog& log, const LineBatch& batch, AckWriter& acks,
                    std::vector<segment::AppendRecord>& records) {
  if (batch.lines.empty()) return Status::ok();
  records.clear();
  for (std::string_view line : batch.lines) {
    records.push_back(segment::AppendRecord{0, as_bytes(line), segment::kTimestampNow, 0});
  }
  const std::uint64_t before = log.next_offset();
  auto first = log.append_batch(records);
  if (first) return acks.ack(*first, *first + records.size());
  // Whatever reached the log before the failure (e.g. a rotation that ran out of space) is
  // readable by others now, so it is acknowledged too.
  SPOOL_RETURN_IF_ERROR(acks.ack(before, log.next_offset()));
  if (first.status().code() != StatusCode::kInvalidArgument || log.next_offset() != before) {
    return first.status();
  }
  for (std::size_t i = 0; i < records.size(); ++i) {
    auto offset = log.append_batch(std::span<const segment::AppendRecord>(&records[i], 1));
    if (!offset) {
      return Status(offset.status().code(), "line " + std::to_string(batch.first_line_number + i) +
                                                ": " + offset.status().message());
    }
    SPOOL_RETURN_IF_ERROR(acks.ack(*offset, *offset + 1));
  }
  return Status::ok();
}

int run_append(const AppendArgs& args) {
  Status s = require_creatable_log_dir(args.dir);
  if (!s) return report_error(kName, s);
  // The log's own settings (marker), so appending does not change them.
  auto existing = existing_log_options(args.dir);
  if (!existing) return report_error(kName, existing.status());
  LogOptions options = *existing;
  if (args.segment_bytes) options.segment_bytes = *args.segment_bytes;
  auto log = segment::SegmentLog::open(args.dir, options, segment::OpenMode::kReadWrite);
  if (!log) return report_error(kName, log.status());

  install_stop_handlers();
  LineReader reader(STDIN_FILENO, (*log)->max_payload_bytes());
  reader.set_stop_flag(&g_stop_signal);
  AckWriter acks(args.ack);
  std::vector<segment::AppendRecord> records;
  LineBatch batch;
  Status failure;
  for (;;) {
    failure = reader.read_batch(&batch);
    if (!failure) break;
    failure = append_lines(**log, batch, acks, records);
    if (!failure || batch.end) break;
  }
  Status closed = (*log)->close();
  if (!failure) return report_error(kName, failure);
  if (!closed) return report_error(kName, closed);
  if (reader.stopped()) {
    if (reader.pending_bytes() > 0) {
      report_error(kName, "stopped by signal; an unfinished last line of " +
                              std::to_string(reader.pending_bytes()) + " bytes was not appended");
    }
    return 128 + g_stop_signal;
  }
  return kExitOk;
}

}  // namespace

Command add_append_command(CLI::App& app) {
  auto args = std::make_shared<AppendArgs>();
  CLI::App* cmd = app.add_subcommand(
      std::string(kName),
      "Append each line of standard input (without its newline) as one record of type 0");
  cmd->add_option("DIR", args->dir, "Log directory (created if missing; its parent must exist)")
      ->required();
  cmd->add_option("--segment-bytes", args->segment_bytes,
                  "Segment file size, e.g. 1048576 or 1MiB (default: the existing log's "
                  "segment size, or 64MiB for a new log)")
      ->transform(byte_size_validator())
      ->type_name("BYTES");
  cmd->add_flag("--ack", args->ack,
                "Print each record's offset on its own line once it is in the log");
  cmd->footer(
      "An empty line is an empty record; a last line without a newline is a record too.\n"
      "Exit status: 0 at end of input, 2 on error (e.g. the log is locked by another "
      "writer).");
  return {cmd, [args] { return run_append(*args); }};
}

}  // namespace spool::tools

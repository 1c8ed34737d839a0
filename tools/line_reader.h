// Splits a byte stream read from a file descriptor into lines, batch by batch.
//
// Each call does one read(2) and hands out every line that read completed, so a producer
// that trickles lines in gets each one handled as soon as it arrives, while piped bulk
// input arrives in large batches. Memory stays bounded: an unfinished line may grow to
// max_line_bytes and no further.
#pragma once

#include <csignal>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "spool/status.h"

namespace spool::tools {

struct LineBatch {
  // Lines without their '\n'; valid until the next read_batch call.
  std::vector<std::string_view> lines;
  // 1-based number of lines[0] in the stream (for error messages).
  std::uint64_t first_line_number = 1;
  // The stream ended (or the stop flag was raised); no further call is needed.
  bool end = false;
};

class LineReader {
 public:
  LineReader(int fd, std::size_t max_line_bytes);

  // Blocks until input arrives or the stream ends. At end of stream, a last line without a
  // trailing newline is returned as a line too. Errors: a read failure, or an unfinished
  // line longer than max_line_bytes.
  Status read_batch(LineBatch* batch);

  // When set, a read interrupted by a signal (EINTR) while *flag is non-zero ends the stream
  // instead of being retried: the unfinished line, if any, is dropped (see pending_bytes()).
  void set_stop_flag(const volatile std::sig_atomic_t* flag) noexcept { stop_ = flag; }
  bool stopped() const noexcept { return stopped_; }
  // Bytes of the line not yet terminated by '\n'.
  std::size_t pending_bytes() const noexcept { return end_ - begin_; }

 private:
  int fd_;
  std::size_t max_line_bytes_;
  std::vector<char> buffer_;
  std::size_t begin_ = 0;  // start of the unfinished line
  std::size_t end_ = 0;    // end of the bytes read
  std::uint64_t next_line_number_ = 1;
  const volatile std::sig_atomic_t* stop_ = nullptr;
  bool stopped_ = false;
  bool eof_ = false;
};

}  // namespace spool::tools

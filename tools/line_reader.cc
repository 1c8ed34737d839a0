#include "tools/line_reader.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <string>

namespace spool::tools {

namespace {
// Large enough that a pipe full of small lines is taken in one read, small enough not to
// matter next to the segment mapping.
constexpr std::size_t kInitialBufferBytes = 1u << 20;
}  // namespace

LineReader::LineReader(int fd, std::size_t max_line_bytes)
    : fd_(fd), max_line_bytes_(max_line_bytes) {
  buffer_.resize(std::min(kInitialBufferBytes, max_line_bytes_ + 1));
}

Status LineReader::read_batch(LineBatch* batch) {
  batch->lines.clear();
  batch->first_line_number = next_line_number_;
  batch->end = false;
  if (eof_ || stopped_) {
    batch->end = true;
    return Status::ok();
  }

  // The previous batch's views are dead now: keep only the unfinished line, at the front.
  if (begin_ > 0) {
    std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  if (end_ > max_line_bytes_) {
    return Status::invalid_argument("line " + std::to_string(next_line_number_) +
                                    " is longer than the maximum record size of " +
                                    std::to_string(max_line_bytes_) + " bytes");
  }
  if (end_ == buffer_.size()) buffer_.resize(std::min(buffer_.size() * 2, max_line_bytes_ + 1));

  ssize_t n;
  for (;;) {
    // Checked before every read, not only after EINTR: a signal that arrived while the
    // caller was busy appending interrupted nothing, and the next read could block for good.
    if (stop_ != nullptr && *stop_ != 0) {
      stopped_ = true;
      batch->end = true;
      return Status::ok();
    }
    n = ::read(fd_, buffer_.data() + end_, buffer_.size() - end_);
    if (n >= 0) break;
    if (errno != EINTR)
      return Status::io_error(std::string("read standard input: ") + ::strerror(errno));
  }

  // Only the new bytes can hold a newline: the unfinished line had none.
  const std::size_t scan_from = end_;
  end_ += static_cast<std::size_t>(n);
  const char* base = buffer_.data();
  std::size_t pos = scan_from;
  while (pos < end_) {
    const void* nl = std::memchr(base + pos, '\n', end_ - pos);
    if (nl == nullptr) break;
    const std::size_t at = static_cast<std::size_t>(static_cast<const char*>(nl) - base);
    batch->lines.emplace_back(base + begin_, at - begin_);
    begin_ = at + 1;
    pos = begin_;
  }
  if (n == 0) {
    eof_ = true;
    batch->end = true;
    if (end_ > begin_) {
      batch->lines.emplace_back(base + begin_, end_ - begin_);
      begin_ = end_;
    }
  }
  next_line_number_ += batch->lines.size();
  return Status::ok();
}

}  // namespace spool::tools

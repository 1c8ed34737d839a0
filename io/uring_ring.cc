#include "io/uring_ring.h"

#include <errno.h>

#include <algorithm>
#include <vector>

namespace spool::io {

namespace {
// One SQE may carry at most this many iovecs (IOV_MAX); larger batches are split.
constexpr int kMaxIovPerSqe = 1024;
}  // namespace

UringRing::~UringRing() {
  if (ready_) io_uring_queue_exit(&ring_);
}

int UringRing::init(unsigned entries) {
  if (ready_) return 0;
  int rc = io_uring_queue_init(entries, &ring_, 0);
  if (rc < 0) return rc;
  ready_ = true;
  return 0;
}

int UringRing::submit_and_reap(unsigned expected, int* results) {
  int rc;
  do {
    rc = io_uring_submit_and_wait(&ring_, expected);
  } while (rc == -EINTR);
  if (rc < 0) return rc;
  for (unsigned i = 0; i < expected; ++i) {
    io_uring_cqe* cqe = nullptr;
    do {
      rc = io_uring_wait_cqe(&ring_, &cqe);
    } while (rc == -EINTR);
    if (rc < 0) return rc;
    const auto slot = static_cast<unsigned>(io_uring_cqe_get_data64(cqe));
    if (slot < expected) results[slot] = cqe->res;
    io_uring_cqe_seen(&ring_, cqe);
  }
  return 0;
}

int UringRing::write_at(int fd, const iovec* iov, int iovcnt, std::uint64_t offset,
                        bool datasync) {
  if (!ready_) return -EBADF;
  // Copy so that short writes can be resumed by advancing the iovecs in place.
  std::vector<iovec> pending(iov, iov + iovcnt);
  std::size_t first = 0;
  std::uint64_t pos = offset;
  const unsigned capacity = ring_.sq.ring_entries;
  while (first < pending.size()) {
    // Queue up to capacity-1 writes (one slot stays for the fsync), each of up to
    // kMaxIovPerSqe iovecs, linked so that the fsync only runs after all of them.
    std::vector<std::pair<std::size_t, std::size_t>> chunks;  // [begin, end) of pending
    std::uint64_t chunk_pos = pos;
    std::vector<std::uint64_t> chunk_len;
    std::size_t i = first;
    // Writes per round: all entries but one (kept for the linked fsync); a 1-entry ring
    // writes one chunk per round and syncs on its own afterwards.
    const std::size_t max_writes = capacity > 1 ? capacity - 1 : 1;
    while (i < pending.size() && chunks.size() < max_writes) {
      std::size_t end = std::min(pending.size(), i + kMaxIovPerSqe);
      std::uint64_t len = 0;
      for (std::size_t k = i; k < end; ++k) len += pending[k].iov_len;
      chunks.emplace_back(i, end);
      chunk_len.push_back(len);
      i = end;
    }
    const bool last_round = (i == pending.size());
    const bool with_sync = datasync && last_round && chunks.size() < capacity;
    unsigned n = 0;
    for (std::size_t c = 0; c < chunks.size(); ++c) {
      io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
      io_uring_prep_writev(sqe, fd, &pending[chunks[c].first],
                           static_cast<unsigned>(chunks[c].second - chunks[c].first), chunk_pos);
      io_uring_sqe_set_data64(sqe, n++);
      if (with_sync) sqe->flags |= IOSQE_IO_LINK;
      chunk_pos += chunk_len[c];
    }
    if (with_sync) {
      io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
      io_uring_prep_fsync(sqe, fd, IORING_FSYNC_DATASYNC);
      io_uring_sqe_set_data64(sqe, n++);
    }
    std::vector<int> results(n, 0);
    int rc = submit_and_reap(n, results.data());
    if (rc < 0) return rc;
    // Find how far the writes got; a short or failed write ends this round there.
    bool complete = true;
    for (std::size_t c = 0; c < chunks.size(); ++c) {
      int res = results[c];
      if (res < 0 && res != -ECANCELED) return res;
      if (res == 0 && chunk_len[c] > 0) return -EIO;  // no progress: do not spin
      if (res == -ECANCELED) res = 0;  // cancelled because an earlier link failed
      std::uint64_t done = static_cast<std::uint64_t>(res);
      if (done == chunk_len[c]) {
        pos += done;
        first = chunks[c].second;
        continue;
      }
      // Short write: advance the iovecs of this chunk past `done` bytes and go again.
      std::size_t k = chunks[c].first;
      pos += done;
      while (done > 0 && done >= pending[k].iov_len) done -= pending[k++].iov_len;
      if (done > 0) {
        pending[k].iov_base = static_cast<char*>(pending[k].iov_base) + done;
        pending[k].iov_len -= done;
      }
      first = k;
      complete = false;
      break;
    }
    if (complete && with_sync) {
      int sync_res = results[n - 1];
      if (sync_res < 0) return sync_res;
      return 0;
    }
  }
  return datasync ? this->datasync(fd) : 0;
}

int UringRing::datasync(int fd) {
  if (!ready_) return -EBADF;
  io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
  io_uring_prep_fsync(sqe, fd, IORING_FSYNC_DATASYNC);
  io_uring_sqe_set_data64(sqe, 0);
  int result = 0;
  int rc = submit_and_reap(1, &result);
  return rc < 0 ? rc : result;
}

}  // namespace spool::io

#include "io/mmap_region.h"

#include <errno.h>
#include <sys/mman.h>

#include <utility>

#include "io/env.h"

namespace spool::io {

MmapRegion::~MmapRegion() { unmap(); }

MmapRegion::MmapRegion(MmapRegion&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}

MmapRegion& MmapRegion::operator=(MmapRegion&& other) noexcept {
  if (this != &other) {
    unmap();
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

int MmapRegion::map(int fd, std::size_t len, bool writable, MmapRegion* out) {
  out->unmap();
  if (len == 0) return 0;
  void* p = nullptr;
  const int rc = env().mmap(fd, len, writable, &p);
  if (rc < 0) return rc;
  out->data_ = static_cast<std::uint8_t*>(p);
  out->size_ = len;
  return 0;
}

void MmapRegion::advise_sequential() const noexcept {
  if (data_ != nullptr) ::madvise(data_, size_, MADV_SEQUENTIAL);
}

void MmapRegion::unmap() noexcept {
  if (data_ != nullptr) (void)env().munmap(data_, size_);
  data_ = nullptr;
  size_ = 0;
}

}  // namespace spool::io

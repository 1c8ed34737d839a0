// RAII memory mapping of a file (shared, so the page cache is the one copy of the data).
#pragma once

#include <cstddef>
#include <cstdint>

namespace spool::io {

class MmapRegion {
 public:
  MmapRegion() = default;
  ~MmapRegion();
  MmapRegion(MmapRegion&& other) noexcept;
  MmapRegion& operator=(MmapRegion&& other) noexcept;
  MmapRegion(const MmapRegion&) = delete;
  MmapRegion& operator=(const MmapRegion&) = delete;

  // Maps [0, len) of fd read-only (writable=false) or read-write, MAP_SHARED.
  // len 0 gives an empty region without calling mmap. Returns 0 or -errno.
  static int map(int fd, std::size_t len, bool writable, MmapRegion* out);

  const std::uint8_t* data() const noexcept { return data_; }
  std::uint8_t* mutable_data() noexcept { return data_; }
  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  // Hint that the region will be read front to back.
  void advise_sequential() const noexcept;
  void unmap() noexcept;

 private:
  std::uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace spool::io

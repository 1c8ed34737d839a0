// A growable byte buffer whose new bytes are not zero-filled (std::vector::resize would
// memset every frame before encode_frame overwrites it). Capacity is kept across clears, so
// in steady state the writer's staging allocates nothing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>

namespace spool::segment {

class StagingBuffer {
 public:
  // Extends the buffer by n bytes and returns where they start (contents unspecified).
  std::uint8_t* extend(std::size_t n) {
    if (size_ + n > capacity_) grow(size_ + n);
    std::uint8_t* at = data_.get() + size_;
    size_ += n;
    return at;
  }
  void clear() noexcept { size_ = 0; }
  std::uint8_t* data() noexcept { return data_.get(); }
  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }

 private:
  void grow(std::size_t need) {
    std::size_t cap = capacity_ == 0 ? 64 * 1024 : capacity_;
    while (cap < need) cap *= 2;
    std::unique_ptr<std::uint8_t[]> bigger(new std::uint8_t[cap]);
    if (size_ > 0) std::memcpy(bigger.get(), data_.get(), size_);
    data_ = std::move(bigger);
    capacity_ = cap;
  }

  std::unique_ptr<std::uint8_t[]> data_;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
};

}  // namespace spool::segment

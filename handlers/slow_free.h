// Frees a large array a slice per call. jemalloc hands an allocation over 8 MiB back to
// the kernel as soon as it is freed (madvise of all its pages at once): freeing the dedupe
// table of 3.6M ids (200 MB) that way stopped the engine for 60-150 ms. Here the pages go
// back kSlice bytes per Step, and the emptied array is freed at the end, cheaply.
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <memory>

namespace handoff {

template <typename T>
class SlowFree {
 public:
  // Takes `block` (`count` elements) to free over the next Steps; one already taken and
  // not yet freed is freed now.
  void Start(std::unique_ptr<T[]> block, std::size_t count) {
    while (busy()) Step();
    block_ = std::move(block);
    end_ = reinterpret_cast<std::uintptr_t>(block_.get() + count) & ~(PageSize() - 1);
    next_ = (reinterpret_cast<std::uintptr_t>(block_.get()) + PageSize() - 1) & ~(PageSize() - 1);
  }
  bool busy() const { return block_ != nullptr; }
  void Step() {
    if (!busy()) return;
    if (next_ < end_) {
      std::uintptr_t size = end_ - next_ < kSlice ? end_ - next_ : kSlice;
      // Only a hint: if it fails, the free below returns the pages instead.
      madvise(reinterpret_cast<void*>(next_), size, MADV_DONTNEED);
      next_ += size;
      if (next_ < end_) return;
    }
    block_.reset();
  }

 private:
  static constexpr std::uintptr_t kSlice = std::uintptr_t{1} << 20;
  static std::uintptr_t PageSize() {
    static const auto size = static_cast<std::uintptr_t>(sysconf(_SC_PAGESIZE));
    return size;
  }
  std::unique_ptr<T[]> block_;
  std::uintptr_t next_ = 0;  // the first page not yet given back
  std::uintptr_t end_ = 0;
};

}  // namespace handoff

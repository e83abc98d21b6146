// A vector that grows by whole chunks of 2^kChunkBits elements and never moves one: an
// append that needs room allocates one more chunk and copies nothing, so no call costs
// more than one chunk's allocation however large the vector is. (A std::vector of 1.8M
// engine instances stopped the engine for 15-35 ms each time it doubled.) Indexing costs
// one more load, of a chunk pointer that stays in the cache. Elements are trivially
// copyable; a new chunk's memory is left untouched until written.
#pragma once

#include <cstddef>
#include <iterator>
#include <memory>
#include <type_traits>
#include <vector>

namespace handoff {

template <typename T, unsigned kChunkBits = 16>
class ChunkedVector {
  static_assert(std::is_trivially_copyable_v<T> && std::is_trivially_destructible_v<T>);

 public:
  static constexpr std::size_t kChunk = std::size_t{1} << kChunkBits;

  T& operator[](std::size_t i) { return chunks_[i >> kChunkBits][i & (kChunk - 1)]; }
  const T& operator[](std::size_t i) const {
    return chunks_[i >> kChunkBits][i & (kChunk - 1)];
  }
  T& front() { return (*this)[0]; }
  const T& front() const { return (*this)[0]; }
  T& back() { return (*this)[size_ - 1]; }

  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  std::size_t capacity() const { return chunks_.size() * kChunk; }
  std::size_t MemoryBytes() const {
    return capacity() * sizeof(T) + chunks_.capacity() * sizeof(chunks_[0]);
  }

  void push_back(const T& value) {
    if (size_ == capacity()) AddChunk();
    (*this)[size_++] = value;
  }
  void pop_back() { --size_; }  // keeps the chunk, as std::vector keeps its capacity
  // Grows to `size` elements, the new ones `value`; never shrinks.
  void resize(std::size_t size, const T& value) {
    while (size_ < size) push_back(value);
  }
  void reserve(std::size_t size) {
    while (capacity() < size) AddChunk();
  }

  class const_iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = T;
    using difference_type = std::ptrdiff_t;
    using pointer = const T*;
    using reference = const T&;
    const_iterator() = default;
    const_iterator(const ChunkedVector* v, std::size_t i) : v_(v), i_(i) {}
    const T& operator*() const { return (*v_)[i_]; }
    const T* operator->() const { return &(*v_)[i_]; }
    const_iterator& operator++() {
      ++i_;
      return *this;
    }
    const_iterator operator++(int) { return {v_, i_++}; }
    bool operator==(const const_iterator& other) const { return i_ == other.i_; }

   private:
    const ChunkedVector* v_ = nullptr;
    std::size_t i_ = 0;
  };
  const_iterator begin() const { return {this, 0}; }
  const_iterator end() const { return {this, size_}; }

 private:
  // new T[] of a trivial T leaves the memory as it is: its pages are touched when written.
  void AddChunk() { chunks_.push_back(std::unique_ptr<T[]>(new T[kChunk])); }

  std::vector<std::unique_ptr<T[]>> chunks_;
  std::size_t size_ = 0;
};

}  // namespace handoff

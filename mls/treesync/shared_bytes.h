#pragma once
// SharedBytes: an immutable byte string in one heap block with an atomic reference count, 8
// bytes per handle. PublicTree stores each node's encoding in one, so copying a chunk of nodes
// for copy-on-write staging bumps counters instead of copying encodings.
#include <atomic>
#include <cstdint>
#include <cstring>
#include <new>
#include <utility>

#include "mls/codec/bytes.h"

namespace conclave::mls {

class SharedBytes {
 public:
  SharedBytes() = default;
  // An empty `v` gives the null handle (PublicTree never stores empty encodings).
  explicit SharedBytes(ByteView v) {
    if (v.empty()) return;
    void* mem = ::operator new(sizeof(Block) + v.size());
    block_ = new (mem) Block{{1}, static_cast<std::uint32_t>(v.size())};
    std::memcpy(data(), v.data(), v.size());
  }
  SharedBytes(const SharedBytes& o) noexcept : block_(o.block_) {
    if (block_ != nullptr) block_->refs.fetch_add(1, std::memory_order_relaxed);
  }
  SharedBytes(SharedBytes&& o) noexcept : block_(std::exchange(o.block_, nullptr)) {}
  SharedBytes& operator=(const SharedBytes& o) noexcept {
    SharedBytes(o).swap(*this);
    return *this;
  }
  SharedBytes& operator=(SharedBytes&& o) noexcept {
    SharedBytes(std::move(o)).swap(*this);
    return *this;
  }
  ~SharedBytes() { release(); }

  void swap(SharedBytes& o) noexcept { std::swap(block_, o.block_); }
  bool empty() const { return block_ == nullptr; }
  ByteView view() const {
    if (block_ == nullptr) return {};
    return {data(), block_->size};
  }
  // same_block: both handles share one allocation (so their bytes are equal).
  bool same_block(const SharedBytes& o) const { return block_ == o.block_; }
  std::size_t heap_bytes() const { return block_ == nullptr ? 0 : sizeof(Block) + block_->size; }

 private:
  struct Block {
    std::atomic<std::uint32_t> refs;
    std::uint32_t size;
  };
  std::uint8_t* data() const { return reinterpret_cast<std::uint8_t*>(block_ + 1); }
  void release() noexcept {
    if (block_ == nullptr) return;
    if (block_->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      block_->~Block();
      ::operator delete(block_);
    }
    block_ = nullptr;
  }

  Block* block_ = nullptr;
};

}  // namespace conclave::mls

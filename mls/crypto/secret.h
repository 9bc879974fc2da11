#pragma once
// Secret: move-only bytes that are wiped (OPENSSL_cleanse) when destroyed or overwritten
// (docs/style.md P8). Used for every key, ratchet secret and private key in the MLS layer.
#include <cstddef>
#include <cstdint>
#include <utility>

#include "base/ct_equal.h"
#include "mls/codec/bytes.h"

namespace conclave::mls {

// secure_wipe overwrites `n` bytes at `p` with zeros in a way the compiler cannot elide.
void secure_wipe(void* p, std::size_t n) noexcept;

class Secret {
 public:
  Secret() = default;
  explicit Secret(Bytes v) : v_(std::move(v)) {}
  explicit Secret(ByteView v) : v_(v.begin(), v.end()) {}
  // Secret(n) is `n` zero bytes, to be filled through data() (sized once: growing would leave
  // an unwiped copy behind).
  explicit Secret(std::size_t n) : v_(n) {}
  Secret(const Secret&) = delete;
  Secret& operator=(const Secret&) = delete;
  Secret(Secret&& o) noexcept : v_(std::move(o.v_)) {}
  Secret& operator=(Secret&& o) noexcept {
    if (this != &o) {
      wipe();
      v_ = std::move(o.v_);
    }
    return *this;
  }
  ~Secret() { wipe(); }

  // clone makes an explicit copy; copies are never implicit.
  Secret clone() const { return Secret(ByteView(v_)); }
  ByteView view() const { return v_; }
  std::uint8_t* data() { return v_.data(); }
  std::size_t size() const { return v_.size(); }
  bool empty() const { return v_.empty(); }

 private:
  void wipe() noexcept {
    if (!v_.empty()) secure_wipe(v_.data(), v_.size());
  }
  Bytes v_;
};

// ct_equal compares two byte strings in time that depends only on their lengths (tags, MACs;
// RFC 9420 §6.2 and §8.1 checks), style.md P11: the MLS layer's name for conclave::ct_equal.
inline bool ct_equal(ByteView a, ByteView b) noexcept { return conclave::ct_equal(a, b); }

}  // namespace conclave::mls

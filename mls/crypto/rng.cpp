#include "mls/crypto/rng.h"

#include <openssl/rand.h>

#include <climits>
#include <stdexcept>

namespace conclave::mls {
namespace {

class SystemRng final : public Rng {
 public:
  void fill(std::span<std::uint8_t> out) override {
    while (!out.empty()) {
      const std::size_t n = out.size() > INT_MAX ? INT_MAX : out.size();
      // A failing system RNG leaves no safe way on: treat it as fatal for the operation.
      if (RAND_bytes(out.data(), static_cast<int>(n)) != 1) {
        throw std::runtime_error("RAND_bytes failed");
      }
      out = out.subspan(n);
    }
  }
};

}  // namespace

Rng& system_rng() {
  static SystemRng rng;
  return rng;
}

}  // namespace conclave::mls

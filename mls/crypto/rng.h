#pragma once
// Rng: the source of randomness, injected so tests can be deterministic (docs/style.md P10).
#include <cstdint>
#include <span>

namespace conclave::mls {

class Rng {
 public:
  virtual ~Rng() = default;
  virtual void fill(std::span<std::uint8_t> out) = 0;
};

// system_rng returns OpenSSL's RAND_bytes generator (thread-safe, process lifetime).
Rng& system_rng();

}  // namespace conclave::mls

#pragma once
// Test support for mls/group: a seeded Rng and a simulated room where every member and the
// delivery service's PublicGroup process every commit, with agreement checks after each one.
#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "mls/group/group.h"
#include "mls/group/public_group.h"

namespace conclave::mls::testing {

inline const CipherSuite& suite1() {
  return **CipherSuite::get(CipherSuiteId::mls_128_dhkemx25519_aes128gcm_sha256_ed25519);
}

// SeededRng: deterministic bytes from a fixed seed (tests only; not cryptographic).
class SeededRng : public Rng {
 public:
  explicit SeededRng(std::uint64_t seed) : gen_(seed) {}
  void fill(std::span<std::uint8_t> out) override {
    for (auto& b : out) b = static_cast<std::uint8_t>(gen_());
  }
  std::uint64_t next() { return gen_(); }
  std::uint32_t below(std::uint32_t n) { return static_cast<std::uint32_t>(gen_() % n); }

 private:
  std::mt19937_64 gen_;
};

inline KeyPackageBundle new_member(const CipherSuite& suite, const std::string& name, Rng& rng) {
  KeyPair sig = suite.generate_signature_key_pair();
  Credential cred;
  cred.value = BasicCredential{Bytes(name.begin(), name.end())};
  auto kp = make_key_package(suite, cred, std::move(sig.private_key), rng);
  EXPECT_TRUE(kp) << kp.error().message();
  return std::move(*kp);
}

}  // namespace conclave::mls::testing

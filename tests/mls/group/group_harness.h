#pragma once
// Test support for mls/group: a seeded Rng and a simulated room where every member and the
// delivery service's PublicGroup process every commit, with agreement checks after each one.
#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>
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

// A group of three made by alice in one commit that adds bob and carol, who join from its
// Welcome; bob's KeyPackageBundle is kept for tests that reuse his keys.
struct ThreeMembers {
  Group alice;
  Group bob;
  Group carol;
  KeyPackageBundle bob_kp;
};

inline ThreeMembers three_members(SeededRng& rng, std::string_view group_id,
                                  GroupOptions opts = {}) {
  opts.rng = &rng;
  auto a_kp = new_member(suite1(), "alice", rng);
  auto b_kp = new_member(suite1(), "bob", rng);
  auto c_kp = new_member(suite1(), "carol", rng);
  auto alice = Group::create(suite1(), Bytes(group_id.begin(), group_id.end()), a_kp, {}, opts);
  EXPECT_TRUE(alice);
  CommitOptions co;
  co.proposals.push_back(Proposal{Add{b_kp.key_package}});
  co.proposals.push_back(Proposal{Add{c_kp.key_package}});
  auto out = alice->commit(std::move(co));
  EXPECT_TRUE(out) << out.error().message();
  auto bob = Group::join(suite1(), *out->welcome, b_kp.key_package, b_kp.clone().secrets,
                         std::nullopt, {}, opts);
  auto carol = Group::join(suite1(), *out->welcome, c_kp.key_package, c_kp.clone().secrets,
                           std::nullopt, {}, opts);
  EXPECT_TRUE(bob && carol);
  return ThreeMembers{std::move(out->staged).merge(), std::move(*bob), std::move(*carol),
                      std::move(b_kp)};
}

}  // namespace conclave::mls::testing

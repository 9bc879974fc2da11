#pragma once
// Helpers for the treesync tests and benchmarks: a seeded Rng, members with real signature and
// HPKE keys, and a public-only "commit" that fills a path with fresh keys and valid parent hashes
// without any HPKE encryption (cheap enough for 10,000-leaf trees).
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "mls/crypto/cipher_suite.h"
#include "mls/crypto/rng.h"
#include "mls/framing/leaf_node.h"
#include "mls/treesync/public_tree.h"

namespace conclave::mls::testing {

class SeededRng final : public Rng {
 public:
  explicit SeededRng(std::uint64_t seed) : gen_(seed) {}
  void fill(std::span<std::uint8_t> out) override {
    for (auto& b : out) b = static_cast<std::uint8_t>(gen_());
  }
  Bytes bytes(std::size_t n) {
    Bytes out(n);
    fill(out);
    return out;
  }
  std::mt19937_64& engine() { return gen_; }

 private:
  std::mt19937_64 gen_;
};

// A member's keys: the signature key and the leaf's HPKE private key.
struct TestMember {
  std::unique_ptr<SigningKey> signer;
  Secret encryption_priv;
  LeafNode leaf;  // as created, key_package source
};

class TreeFixture {
 public:
  explicit TreeFixture(
      std::uint64_t seed = 1,
      CipherSuiteId id = CipherSuiteId::mls_128_dhkemx25519_aes128gcm_sha256_ed25519)
      : suite_(**CipherSuite::get(id)), rng_(seed), group_id_{'g', 'r', 'o', 'u', 'p'} {}

  const CipherSuite& suite() const { return suite_; }
  SeededRng& rng() { return rng_; }
  const Bytes& group_id() const { return group_id_; }

  // new_member makes a signed key_package-source LeafNode with fresh keys.
  TestMember new_member(const std::string& identity) {
    auto signer = suite_.signing_key(rng_.bytes(32));  // any 32 bytes is an Ed25519 key
    auto pair = suite_.derive_hpke_key_pair(rng_.bytes(32));
    TestMember m{
        std::make_unique<SigningKey>(std::move(*signer)), std::move(pair->private_key), {}};
    m.leaf.encryption_key = pair->public_key;
    m.leaf.signature_key = m.signer->public_key();
    m.leaf.credential.value = BasicCredential{Bytes(identity.begin(), identity.end())};
    m.leaf.capabilities.versions = {ProtocolVersion::mls10};
    m.leaf.capabilities.cipher_suites = {static_cast<std::uint16_t>(suite_.id())};
    m.leaf.capabilities.credentials = {CredentialType::basic};
    m.leaf.source.value = KeyPackageSource{Lifetime{0, ~std::uint64_t{0}}};
    (void)sign_leaf_node(*m.signer, m.leaf, {}, 0);
    return m;
  }

  // public_commit gives `l` a new leaf key and fresh keys on its filtered direct path, with the
  // parent hash chain and leaf signature a real commit would produce (no path secrets).
  void public_commit(PublicTree& tree, LeafIndex l, const SigningKey& signer) {
    std::vector<Bytes> keys;
    for (std::size_t i = 0; i < tree.filtered_direct_path(l).size(); ++i) {
      keys.push_back(rng_.bytes(32));
    }
    auto ph = tree.set_path_keys(l, keys);
    LeafNode leaf = *tree.leaf_node(l);
    leaf.encryption_key = rng_.bytes(32);
    leaf.source.value = CommitSource{std::move(*ph)};
    (void)sign_leaf_node(signer, leaf, group_id_, l.value);
    tree.set_leaf(l, leaf);
  }

  // build_tree adds `n` members (members()[i] at leaf i) and lets every `commit_every`-th member
  // commit right after joining, so the tree has parent nodes and unmerged leaves.
  PublicTree build_tree(std::uint32_t n, std::uint32_t commit_every = 3) {
    members_.clear();
    members_.push_back(new_member("m0"));
    PublicTree tree = PublicTree::with_creator(suite_, members_[0].leaf);
    for (std::uint32_t i = 1; i < n; ++i) {
      members_.push_back(new_member("m" + std::to_string(i)));
      const auto l = tree.add(members_.back().leaf);
      if (commit_every != 0 && i % commit_every == 0)
        public_commit(tree, *l, *members_.back().signer);
    }
    return tree;
  }

  std::vector<TestMember>& members() { return members_; }

 private:
  const CipherSuite& suite_;
  SeededRng rng_;
  Bytes group_id_;
  std::vector<TestMember> members_;
};

}  // namespace conclave::mls::testing

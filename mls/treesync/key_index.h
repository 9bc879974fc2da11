#pragma once
// KeyIndex: a persistent multimap from 64-bit key digests to 32-bit references, for the
// uniqueness checks of RFC 9420 §7.3 / §12.2 (encryption keys unique among the tree's nodes,
// signature keys among its leaves) in O(1) per key instead of a scan of the tree.
//
// The entries are spread over kShards shards held by shared pointers: copying an index copies
// the shard table (kShards pointers), and a change copies only the one shard it touches
// (about entries / kShards entries) when that shard is shared. Lookups return candidates whose
// digest matches; the caller compares the actual keys. Digests must come from a hash an attacker
// cannot steer into one shard (PublicTree uses the cipher suite's hash).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace conclave::mls {

class KeyIndex {
 public:
  static constexpr std::size_t kShards = 512;

  void add(std::uint64_t digest, std::uint32_t ref);
  // remove drops one entry (digest, ref); no-op when absent.
  void remove(std::uint64_t digest, std::uint32_t ref);
  // candidates appends to `out` the references stored under `digest`.
  void candidates(std::uint64_t digest, std::vector<std::uint32_t>& out) const;
  std::size_t size() const { return size_; }
  // shrink_to_fit drops the spare capacity of the shards this index owns alone (after a bulk
  // build, where doubling growth leaves about a quarter of the entries' memory unused).
  void shrink_to_fit();
  std::size_t memory_bytes() const;

 private:
  // 6 bytes, 2-byte aligned: the reference in two halves so the vector packs them without
  // padding. The 16-bit tag only filters: a false candidate costs the caller one key compare,
  // and a reference is stored at most once, so remove() never drops the wrong entry.
  struct Entry {
    std::uint16_t tag;  // the digest's top 16 bits; its low bits chose the shard
    std::uint16_t ref_low;
    std::uint16_t ref_high;
    std::uint32_t ref() const { return (std::uint32_t{ref_high} << 16) | ref_low; }
  };
  static_assert(sizeof(Entry) == 6);
  using Shard = std::vector<Entry>;
  static std::size_t shard_of(std::uint64_t digest) { return digest & (kShards - 1); }
  static std::uint16_t tag_of(std::uint64_t digest) {
    return static_cast<std::uint16_t>(digest >> 48);
  }
  static Entry entry(std::uint64_t digest, std::uint32_t ref) {
    return {tag_of(digest), static_cast<std::uint16_t>(ref & 0xffff),
            static_cast<std::uint16_t>(ref >> 16)};
  }
  Shard& writable(std::size_t s);

  std::vector<std::shared_ptr<Shard>> shards_;  // kShards entries once anything was added
  std::size_t size_ = 0;
};

}  // namespace conclave::mls

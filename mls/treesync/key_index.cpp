#include "mls/treesync/key_index.h"

#include <algorithm>

namespace conclave::mls {

KeyIndex::Shard& KeyIndex::writable(std::size_t s) {
  if (shards_.empty()) shards_.resize(kShards);
  std::shared_ptr<Shard>& p = shards_[s];
  if (!p) {
    p = std::make_shared<Shard>();
  } else if (p.use_count() > 1) {
    p = std::make_shared<Shard>(*p);  // copy on write: another index still reads the old one
  }
  return *p;
}

void KeyIndex::add(std::uint64_t digest, std::uint32_t ref) {
  writable(shard_of(digest)).push_back(entry(digest, ref));
  ++size_;
}

void KeyIndex::remove(std::uint64_t digest, std::uint32_t ref) {
  const std::size_t s = shard_of(digest);
  if (shards_.empty() || !shards_[s]) return;
  const std::uint16_t tag = tag_of(digest);
  const auto match = [&](const Entry& e) { return e.tag == tag && e.ref() == ref; };
  if (std::none_of(shards_[s]->begin(), shards_[s]->end(), match)) return;
  Shard& shard = writable(s);
  const auto it = std::find_if(shard.begin(), shard.end(), match);
  *it = shard.back();
  shard.pop_back();
  --size_;
}

void KeyIndex::candidates(std::uint64_t digest, std::vector<std::uint32_t>& out) const {
  if (shards_.empty()) return;
  const std::shared_ptr<Shard>& p = shards_[shard_of(digest)];
  if (!p) return;
  const std::uint16_t tag = tag_of(digest);
  for (const Entry& e : *p) {
    if (e.tag == tag) out.push_back(e.ref());
  }
}

void KeyIndex::shrink_to_fit() {
  for (auto& p : shards_) {
    if (p && p.use_count() == 1) p->shrink_to_fit();
  }
}

std::size_t KeyIndex::memory_bytes() const {
  std::size_t total = shards_.capacity() * sizeof(std::shared_ptr<Shard>);
  for (const auto& p : shards_) {
    // shared_ptr control block with the vector inside (make_shared), plus the entries
    if (p) total += sizeof(Shard) + 16 + p->capacity() * sizeof(Entry);
  }
  return total;
}

}  // namespace conclave::mls

// Ratchet tree costs that grow with the room (RFC 9420 §7.8, §7.9, §12.4.3.1), suite 0x0001:
//  - TreeHash/PathUpdate/N: the root tree hash after one member's path update (leaf plus
//    filtered direct path rewritten). With cached subtree hashes only the path is rehashed, so
//    the time should grow like log N, not N.
//  - TreeHash/Full/N: the same root hash computed from scratch (fresh tree), for comparison.
//  - TreeValidate/N: a joiner's whole-tree validation (signatures, parent-hash chains, unmerged
//    leaves, key uniqueness); linear in N, dominated by one Ed25519 verification per leaf.
// Counters: bytes = PublicTree::memory_bytes() of the tree.
#include <benchmark/benchmark.h>

#include <map>
#include <memory>

#include "mls/treesync/public_tree.h"
#include "mls/treesync/tree_validation.h"
#include "tests/mls/treesync/tree_fixture.h"

namespace {

namespace mls = conclave::mls;

struct Room {
  mls::testing::TreeFixture fx{5};
  mls::PublicTree tree;
  explicit Room(std::uint32_t n) : tree(fx.build_tree(n, 3)) { (void)tree.root_hash(); }
};

// room returns a cached room of `n` members (building a 10,000-member room takes a second).
Room& room(std::uint32_t n) {
  static std::map<std::uint32_t, std::unique_ptr<Room>> rooms;
  auto& r = rooms[n];
  if (!r) r = std::make_unique<Room>(n);
  return *r;
}

void tree_hash_path_update(benchmark::State& state) {
  const auto n = static_cast<std::uint32_t>(state.range(0));
  Room& r = room(n);
  std::uint32_t next = 0;
  for (auto _ : state) {
    state.PauseTiming();
    const mls::LeafIndex l{(next++ * 7919u) % n};
    r.fx.public_commit(r.tree, l, *r.fx.members()[l.value].signer);
    state.ResumeTiming();
    benchmark::DoNotOptimize(r.tree.root_hash());
  }
  state.counters["bytes"] = static_cast<double>(r.tree.memory_bytes());
}
BENCHMARK(tree_hash_path_update)
    ->Name("TreeHash/PathUpdate")
    ->Arg(100)
    ->Arg(1000)
    ->Arg(10000)
    ->Unit(benchmark::kMicrosecond);

void tree_hash_full(benchmark::State& state) {
  const auto n = static_cast<std::uint32_t>(state.range(0));
  Room& r = room(n);
  const mls::Bytes wire = r.tree.encode();
  for (auto _ : state) {
    state.PauseTiming();
    auto fresh = mls::PublicTree::decode(r.fx.suite(), wire);
    state.ResumeTiming();
    benchmark::DoNotOptimize(fresh->root_hash());
  }
}
BENCHMARK(tree_hash_full)
    ->Name("TreeHash/Full")
    ->Arg(100)
    ->Arg(1000)
    ->Arg(10000)
    ->Unit(benchmark::kMicrosecond);

void tree_validate(benchmark::State& state) {
  const auto n = static_cast<std::uint32_t>(state.range(0));
  Room& r = room(n);
  const mls::Bytes wire = r.tree.encode();
  const mls::LeafValidationContext ctx{r.fx.group_id(), {}, std::nullopt};
  for (auto _ : state) {
    // A joiner decodes the tree and validates it; both are timed.
    auto fresh = mls::PublicTree::decode(r.fx.suite(), wire);
    const auto ok = mls::validate_tree(*fresh, ctx);
    if (!ok) state.SkipWithError("validation failed");
  }
  state.counters["bytes"] = static_cast<double>(r.tree.memory_bytes());
}
BENCHMARK(tree_validate)
    ->Name("TreeValidate")
    ->Arg(1000)
    ->Arg(10000)
    ->Unit(benchmark::kMillisecond);

}  // namespace

// mls/group benchmarks, suite 0x0001 (X25519, AES-128-GCM, SHA-256, Ed25519), on two shapes of
// an N-member group:
//
//  - FILLED (the steady state of a room): every member has committed once after the members
//    were added, so every parent node the protocol allows is set (a parent is set when both of
//    its children hold members), with the parent-hash chains and leaf signatures of that
//    history. The one exception is node 1, the parent of leaves 0 and 1: those two members act
//    in the benchmarks through Group::join, which finds its own leaf by its KeyPackage
//    LeafNode, so they have not committed. Built directly (filled_room() below) instead of by N
//    real commits: the public tree is written by public-only commits (set_path_keys with random
//    keys for nodes that later commits overwrite, keys derived from a real path-secret chain on
//    the last committer's path), leaves 0 and 1 join from a Welcome built here, and every
//    Group/PublicGroup checks the whole tree on the way in (validate_tree), so the benchmarked
//    tree is a valid one.
//      commit_create/N        leaf 0 creates an empty commit with an UpdatePath
//      commit_process/N       leaf 1 stages that commit (decrypts, derives, checks)
//      add_member/N           leaf 0 commits one Add: commit + Welcome (with the ratchet tree)
//      add_member_no_tree/N   the same with the tree left out of the Welcome (§12.4.3.3; the
//                             joiner takes it from the delivery service)
//      join_welcome/N         the added member joins from that Welcome (full tree validation),
//                             default options (validation on one thread per core)
//      join_welcome_baseline/N  the same on the code path before issue 15 part 4: tree built
//                             node by node, validated on one thread (the "old" of new vs old)
//      join_welcome_threads/N/T  O(N) tree build, validation on T threads
//      public_apply_commit/N  the delivery service's PublicGroup stages and merges commit_create's
//      public_apply_add/N     the same for add_member's commit
//  - BLANK (…_blank/N): the tree right after one bulk-add commit without a path (every parent
//    blank), as before.
//
// Counters: ds_bytes = PublicGroup::memory_bytes(); ds_heap_delta / ds_rss_delta = heap in use
// (mallinfo2) and VmRSS growth while the PublicGroup was built (the tree's wire form and
// validation temporaries freed), measured once per room.
#include <benchmark/benchmark.h>
#include <malloc.h>

#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <random>

#include "mls/group/extensions.h"
#include "mls/group/group.h"
#include "mls/group/public_group.h"
#include "mls/group/welcome_crypto.h"
#include "mls/schedule/key_schedule.h"
#include "mls/schedule/psk.h"
#include "mls/schedule/transcript_hash.h"

namespace {

using namespace conclave::mls;  // NOLINT: benchmark file, no header

const CipherSuite& suite1() {
  return **CipherSuite::get(CipherSuiteId::mls_128_dhkemx25519_aes128gcm_sha256_ed25519);
}

Credential credential(int i) {
  Credential cred;
  Bytes id{'m', static_cast<std::uint8_t>(i >> 24), static_cast<std::uint8_t>(i >> 16),
           static_cast<std::uint8_t>(i >> 8), static_cast<std::uint8_t>(i)};
  cred.value = BasicCredential{std::move(id)};
  return cred;
}

KeyPackageBundle member(int i) {
  KeyPair sig = suite1().generate_signature_key_pair();
  return std::move(*make_key_package(suite1(), credential(i), std::move(sig.private_key)));
}

// Process memory figures, for the memory counters.
std::size_t rss_bytes() {
  std::FILE* f = std::fopen("/proc/self/status", "r");
  if (f == nullptr) return 0;
  char line[256];
  std::size_t kb = 0;
  while (std::fgets(line, sizeof line, f) != nullptr) {
    if (std::strncmp(line, "VmRSS:", 6) == 0) kb = std::strtoull(line + 6, nullptr, 10);
  }
  std::fclose(f);
  return kb * 1024;
}
std::size_t heap_in_use() { return mallinfo2().uordblks; }

// --- blank tree ---------------------------------------------------------------------------------

struct BlankRoom {
  std::optional<Group> creator;
  std::optional<Group> second;
  std::optional<PublicGroup> ds;
  Welcome welcome;
  KeyPackageBundle second_kp;
};

BlankRoom& blank_room(int n) {
  static std::map<int, std::unique_ptr<BlankRoom>> rooms;
  auto& slot = rooms[n];
  if (slot) return *slot;
  slot = std::make_unique<BlankRoom>();
  BlankRoom& r = *slot;
  auto creator = Group::create(suite1(), Bytes{'b', 'e', 'n', 'c', 'h'}, member(0));
  CommitOptions co;
  co.force_path = false;
  r.second_kp = member(1);
  co.proposals.push_back(Proposal{Add{r.second_kp.key_package}});
  for (int i = 2; i < n; ++i) co.proposals.push_back(Proposal{Add{member(i).key_package}});
  auto out = creator->commit(std::move(co));
  r.welcome = *out->welcome;
  r.creator.emplace(std::move(out->staged).merge());
  auto second = Group::join(suite1(), r.welcome, r.second_kp.key_package,
                            r.second_kp.clone().secrets, std::nullopt);
  r.second.emplace(std::move(*second));
  r.ds.emplace(*PublicGroup::from_group_info(suite1(), *r.creator->group_info(true), std::nullopt));
  return r;
}

// --- filled tree --------------------------------------------------------------------------------

struct FilledRoom {
  int n = 0;
  KeyPackageBundle kp0, kp1;
  Welcome welcome;         // for leaves 0 and 1
  std::optional<Group> a;  // leaf 0
  std::optional<Group> b;  // leaf 1, joined on first use
  std::optional<PublicGroup> ds;
  std::size_t ds_heap_delta = 0;
  std::size_t ds_rss_delta = 0;
  // One Add by leaf 0, its Welcome and the joiner's key package.
  KeyPackageBundle joiner;
  std::optional<CommitOutput> add;
};

Secret random_secret(std::mt19937_64& gen, std::size_t n) {
  Secret s(n);
  for (std::size_t i = 0; i < n; ++i) s.data()[i] = static_cast<std::uint8_t>(gen());
  return s;
}
Bytes random_bytes(std::mt19937_64& gen, std::size_t n) {
  Bytes b(n);
  for (auto& x : b) x = static_cast<std::uint8_t>(gen());
  return b;
}

// build_filled: see the header comment. Leaves 2..N-1 get random encryption keys (nobody needs
// their private keys) and real signature keys; leaves 0 and 1 are real KeyPackages.
void build_filled(FilledRoom& r) {
  const CipherSuite& suite = suite1();
  const int n = r.n;
  const Bytes group_id{'f', 'i', 'l', 'l', 'e', 'd'};
  std::mt19937_64 gen(static_cast<std::uint64_t>(n));
  r.kp0 = member(0);
  r.kp1 = member(1);
  std::vector<SigningKey> signers;
  signers.reserve(static_cast<std::size_t>(n));
  signers.push_back(*suite.signing_key(r.kp0.secrets.signature_private_key.view()));
  signers.push_back(*suite.signing_key(r.kp1.secrets.signature_private_key.view()));
  PublicTree tree = PublicTree::with_creator(suite, r.kp0.key_package.leaf_node);
  (void)tree.add(r.kp1.key_package.leaf_node);
  for (int i = 2; i < n; ++i) {
    signers.push_back(*suite.signing_key(random_bytes(gen, 32)));
    LeafNode leaf;
    leaf.encryption_key = random_bytes(gen, 32);
    leaf.signature_key = signers.back().public_key();
    leaf.credential = credential(i);
    leaf.capabilities.versions = {ProtocolVersion::mls10};
    leaf.capabilities.cipher_suites = {static_cast<std::uint16_t>(suite.id())};
    leaf.capabilities.credentials = {CredentialType::basic};
    leaf.source.value = KeyPackageSource{Lifetime{0, ~std::uint64_t{0}}};
    (void)sign_leaf_node(signers.back(), leaf, {}, 0);
    (void)tree.add(leaf);
  }
  // Every member from 2 on commits once, in order. Only the last committer's path survives
  // whole, and it holds the keys leaves 0 and 1 must be able to derive: a real chain there.
  const LeafIndex last{static_cast<std::uint32_t>(n - 1)};
  std::map<std::uint32_t, Secret> last_path;  // node -> path secret
  for (int i = 2; i < n; ++i) {
    const LeafIndex l{static_cast<std::uint32_t>(i)};
    const std::vector<NodeIndex> fdp = tree.filtered_direct_path(l);
    std::vector<Bytes> keys;
    if (l == last) {
      Secret s = random_secret(gen, suite.hash_size());
      for (NodeIndex x : fdp) {
        const Secret node_secret = suite.derive_secret(s.view(), "node");
        keys.push_back(suite.derive_hpke_key_pair(node_secret.view())->public_key);
        Secret next = suite.derive_secret(s.view(), "path");
        last_path.emplace(x.value, std::move(s));
        s = std::move(next);
      }
    } else {
      for (std::size_t k = 0; k < fdp.size(); ++k) keys.push_back(random_bytes(gen, 32));
    }
    auto ph = tree.set_path_keys(l, keys);
    LeafNode leaf = *tree.leaf_node(l);
    leaf.source.value = CommitSource{std::move(*ph)};
    (void)sign_leaf_node(signers[static_cast<std::size_t>(i)], leaf, group_id, l.value);
    tree.set_leaf(l, leaf);
  }

  GroupContext gc;
  gc.cipher_suite = static_cast<std::uint16_t>(suite.id());
  gc.group_id = group_id;
  gc.epoch = static_cast<std::uint64_t>(n);
  gc.tree_hash = tree.root_hash();
  gc.confirmed_transcript_hash = random_bytes(gen, suite.hash_size());
  const Secret joiner_bytes = random_secret(gen, suite.hash_size());
  const JoinerSecret joiner(joiner_bytes.view());
  const PskSecret psk = *derive_psk_secret(suite, {}, {});
  const WelcomeSecret welcome_secret =
      derive_welcome_secret(suite, derive_intermediate_secret(suite, joiner, psk));
  const EpochSecrets epoch = join_key_schedule(suite, joiner, psk, encode(gc));
  GroupInfo gi;
  gi.group_context = gc;
  gi.extensions.push_back({kExtRatchetTree, tree.encode()});
  gi.confirmation_tag =
      confirmation_tag(suite, epoch.confirmation_key.view(), gc.confirmed_transcript_hash);
  gi.signer = last.value;
  (void)sign_group_info(signers.back(), gi);
  r.welcome.cipher_suite = static_cast<std::uint16_t>(suite.id());
  r.welcome.encrypted_group_info = seal_group_info(suite, welcome_secret, gi);
  for (const KeyPackageBundle* kp : {&r.kp0, &r.kp1}) {
    const LeafIndex own{kp == &r.kp0 ? 0u : 1u};
    GroupSecrets gs;
    gs.joiner_secret.assign(joiner_bytes.view().begin(), joiner_bytes.view().end());
    const NodeIndex lca = common_ancestor(to_node(own), to_node(last));
    const ByteView ps = last_path.at(lca.value).view();
    gs.path_secret = PathSecret{Bytes(ps.begin(), ps.end())};
    auto ct = seal_group_secrets(suite, kp->key_package.init_key, r.welcome.encrypted_group_info,
                                 gs, system_rng());
    r.welcome.secrets.push_back({key_package_ref(suite, kp->key_package), std::move(*ct)});
  }
}

Group join_filled(FilledRoom& r, const KeyPackageBundle& kp) {
  auto g = Group::join(suite1(), r.welcome, kp.key_package, kp.clone().secrets, std::nullopt);
  if (!g) {
    std::fprintf(stderr, "filled room %d: join failed: %s\n", r.n, g.error().message().c_str());
    std::abort();
  }
  return std::move(*g);
}

FilledRoom& filled_room(int n) {
  static std::map<int, std::unique_ptr<FilledRoom>> rooms;
  auto& slot = rooms[n];
  if (slot) return *slot;
  slot = std::make_unique<FilledRoom>();
  FilledRoom& r = *slot;
  r.n = n;
  build_filled(r);
  r.a.emplace(join_filled(r, r.kp0));
  {
    const std::size_t heap0 = heap_in_use();
    const std::size_t rss0 = rss_bytes();
    {
      auto gi = r.a->group_info(true);
      auto ds = PublicGroup::from_group_info(suite1(), *gi, std::nullopt);
      if (!ds) std::abort();
      r.ds.emplace(std::move(*ds));
    }
    r.ds_heap_delta = heap_in_use() - heap0;
    r.ds_rss_delta = rss_bytes() - rss0;
  }
  r.joiner = member(n + 1);
  CommitOptions co;
  co.proposals.push_back(Proposal{Add{r.joiner.key_package}});
  auto add = r.a->commit(std::move(co));
  if (!add) std::abort();
  r.add.emplace(std::move(*add));
  return r;
}

Group& filled_b(FilledRoom& r) {
  if (!r.b) r.b.emplace(join_filled(r, r.kp1));
  return *r.b;
}

void memory_counters(benchmark::State& state, const FilledRoom& r) {
  state.counters["ds_bytes"] = static_cast<double>(r.ds->memory_bytes());
  state.counters["ds_heap_delta"] = static_cast<double>(r.ds_heap_delta);
  state.counters["ds_rss_delta"] = static_cast<double>(r.ds_rss_delta);
}

void commit_create(benchmark::State& state) {
  FilledRoom& r = filled_room(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    auto out = r.a->commit();
    benchmark::DoNotOptimize(out);
  }
}

void commit_process(benchmark::State& state) {
  FilledRoom& r = filled_room(static_cast<int>(state.range(0)));
  Group& b = filled_b(r);
  auto out = r.a->commit();
  for (auto _ : state) {
    auto staged = b.stage_commit(out->message);
    if (!staged) state.SkipWithError("stage_commit failed");
    benchmark::DoNotOptimize(staged);
  }
}

void add_member(benchmark::State& state) {
  FilledRoom& r = filled_room(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    CommitOptions co;
    co.proposals.push_back(Proposal{Add{r.joiner.key_package}});
    auto out = r.a->commit(std::move(co));
    benchmark::DoNotOptimize(out);
  }
}

void add_member_no_tree(benchmark::State& state) {
  FilledRoom& r = filled_room(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    CommitOptions co;
    co.proposals.push_back(Proposal{Add{r.joiner.key_package}});
    co.ratchet_tree_in_welcome = false;
    auto out = r.a->commit(std::move(co));
    benchmark::DoNotOptimize(out);
  }
}

void join_with(benchmark::State& state, GroupOptions options) {
  FilledRoom& r = filled_room(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    auto g = Group::join(suite1(), *r.add->welcome, r.joiner.key_package, r.joiner.clone().secrets,
                         std::nullopt, {}, options);
    if (!g) state.SkipWithError("join failed");
    benchmark::DoNotOptimize(g);
  }
}

// join_welcome: the default options (validation threads: one per core for large trees).
void join_welcome(benchmark::State& state) { join_with(state, GroupOptions{}); }

// join_welcome_baseline: the code path before issue 15 part 4, still selectable: the tree built
// node by node (O(N log N)) and validated on one thread.
void join_welcome_baseline(benchmark::State& state) {
  GroupOptions o;
  o.validation_threads = 1;
  o.tree_build = PublicTree::Build::per_node;
  join_with(state, o);
}

// join_welcome_threads/N/T: the O(N) build, validation on T threads (T = 1: single-threaded).
void join_welcome_threads(benchmark::State& state) {
  GroupOptions o;
  o.validation_threads = static_cast<unsigned>(state.range(1));
  join_with(state, o);
}

void public_apply_commit(benchmark::State& state) {
  FilledRoom& r = filled_room(static_cast<int>(state.range(0)));
  auto out = r.a->commit();
  for (auto _ : state) {
    auto staged = r.ds->stage_commit(out->message);
    if (!staged) state.SkipWithError("stage_commit failed");
    auto next = std::move(*staged).merge();
    benchmark::DoNotOptimize(next);
  }
  memory_counters(state, r);
}

void public_apply_add(benchmark::State& state) {
  FilledRoom& r = filled_room(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    auto staged = r.ds->stage_commit(r.add->message);
    if (!staged) state.SkipWithError("stage_commit failed");
    auto next = std::move(*staged).merge();
    benchmark::DoNotOptimize(next);
  }
  memory_counters(state, r);
}

void commit_create_blank(benchmark::State& state) {
  BlankRoom& r = blank_room(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    auto out = r.creator->commit();
    benchmark::DoNotOptimize(out);
  }
}

void commit_process_blank(benchmark::State& state) {
  BlankRoom& r = blank_room(static_cast<int>(state.range(0)));
  auto out = r.creator->commit();
  for (auto _ : state) {
    auto staged = r.second->stage_commit(out->message);
    benchmark::DoNotOptimize(staged);
  }
}

void public_apply_commit_blank(benchmark::State& state) {
  BlankRoom& r = blank_room(static_cast<int>(state.range(0)));
  auto out = r.creator->commit();
  for (auto _ : state) {
    auto staged = r.ds->stage_commit(out->message);
    auto next = std::move(*staged).merge();
    benchmark::DoNotOptimize(next);
  }
  state.counters["ds_bytes"] = static_cast<double>(r.ds->memory_bytes());
}

void join_welcome_blank(benchmark::State& state) {
  BlankRoom& r = blank_room(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    auto g = Group::join(suite1(), r.welcome, r.second_kp.key_package, r.second_kp.clone().secrets,
                         std::nullopt);
    benchmark::DoNotOptimize(g);
  }
}

#define GROUP_SIZES ->Arg(100)->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond)
BENCHMARK(commit_create) GROUP_SIZES;
BENCHMARK(commit_process) GROUP_SIZES;
BENCHMARK(add_member) GROUP_SIZES;
BENCHMARK(add_member_no_tree) GROUP_SIZES;
// Joins run validation threads: wall-clock time is what a joiner waits, and the CPU column is
// the whole process's (all threads), so it shows the work, not the wait.
#define JOIN_TIMING ->UseRealTime()->MeasureProcessCPUTime()
BENCHMARK(join_welcome) GROUP_SIZES JOIN_TIMING;
BENCHMARK(join_welcome_baseline) GROUP_SIZES JOIN_TIMING;
BENCHMARK(join_welcome_threads)
    ->ArgsProduct({{100, 1000, 10000}, {1, 2}})
    ->Unit(benchmark::kMillisecond) JOIN_TIMING;
#undef JOIN_TIMING
BENCHMARK(public_apply_commit) GROUP_SIZES->Arg(50000);
BENCHMARK(public_apply_add) GROUP_SIZES->Arg(50000);
BENCHMARK(commit_create_blank) GROUP_SIZES;
BENCHMARK(commit_process_blank) GROUP_SIZES;
BENCHMARK(public_apply_commit_blank) GROUP_SIZES;
BENCHMARK(join_welcome_blank) GROUP_SIZES;
#undef GROUP_SIZES

}  // namespace

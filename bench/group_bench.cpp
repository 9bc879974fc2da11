// mls/group benchmarks, suite 0x0001, on the BLANK tree left by one bulk-add commit without a
// path (every parent blank): commit_create/N (empty commit with UpdatePath by the creator),
// commit_process/N (a member stages it), public_apply_commit/N (the delivery service's
// PublicGroup stages and merges it), join_welcome/N (Group::join with full tree validation).
// The filled-tree case (every parent set) is not built here yet.
#include <benchmark/benchmark.h>

#include <map>
#include <memory>

#include "mls/group/group.h"
#include "mls/group/public_group.h"

namespace {

using namespace conclave::mls;  // NOLINT: benchmark file, no header

const CipherSuite& suite1() {
  return **CipherSuite::get(CipherSuiteId::mls_128_dhkemx25519_aes128gcm_sha256_ed25519);
}

KeyPackageBundle member(int i) {
  KeyPair sig = suite1().generate_signature_key_pair();
  Credential cred;
  Bytes id{'m', static_cast<std::uint8_t>(i >> 24), static_cast<std::uint8_t>(i >> 16),
           static_cast<std::uint8_t>(i >> 8), static_cast<std::uint8_t>(i)};
  cred.value = BasicCredential{std::move(id)};
  return std::move(*make_key_package(suite1(), cred, std::move(sig.private_key)));
}

struct Room {
  std::optional<Group> creator;
  std::optional<Group> second;
  std::optional<PublicGroup> ds;
  Welcome welcome;
  KeyPackageBundle second_kp;
};

Room& room(int n) {
  static std::map<int, std::unique_ptr<Room>> rooms;
  auto& slot = rooms[n];
  if (slot) return *slot;
  slot = std::make_unique<Room>();
  Room& r = *slot;
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

void commit_create(benchmark::State& state) {
  Room& r = room(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    auto out = r.creator->commit();
    benchmark::DoNotOptimize(out);
  }
}

void commit_process(benchmark::State& state) {
  Room& r = room(static_cast<int>(state.range(0)));
  auto out = r.creator->commit();
  for (auto _ : state) {
    auto staged = r.second->stage_commit(out->message);
    benchmark::DoNotOptimize(staged);
  }
}

void public_apply_commit(benchmark::State& state) {
  Room& r = room(static_cast<int>(state.range(0)));
  auto out = r.creator->commit();
  for (auto _ : state) {
    auto staged = r.ds->stage_commit(out->message);
    auto next = std::move(*staged).merge();
    benchmark::DoNotOptimize(next);
  }
  state.counters["ds_bytes"] = static_cast<double>(r.ds->memory_bytes());
}

void join_welcome(benchmark::State& state) {
  Room& r = room(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    auto g = Group::join(suite1(), r.welcome, r.second_kp.key_package, r.second_kp.clone().secrets,
                         std::nullopt);
    benchmark::DoNotOptimize(g);
  }
}

BENCHMARK(commit_create)->Arg(100)->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond);
BENCHMARK(commit_process)->Arg(100)->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond);
BENCHMARK(public_apply_commit)->Arg(100)->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond);
BENCHMARK(join_welcome)->Arg(100)->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond);

}  // namespace

// Fork choice after a netsplit (component/federation/fork_choice.h, docs/federation.md §4): the
// rule's three steps in order, no clock and no length anywhere, and the same verdict from any
// order of the same summaries (checked over every permutation and over random branch trees).
#include "component/federation/fork_choice.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <numeric>
#include <random>

namespace conclave::component::federation {
namespace {

Bytes b(std::uint8_t v) { return Bytes{v}; }

// A history: the chain hash of each epoch from 0, built by appending (stands in for the
// SHA-256 chain of docs/protocol.md §6.7: equal chains iff equal histories).
struct History {
  std::vector<Bytes> chains{Bytes{0xc0}};
  std::vector<Bytes> commits;
  History then(std::vector<std::uint8_t> cs) const {
    History h = *this;
    for (std::uint8_t c : cs) {
      Bytes next = h.chains.back();
      next.push_back(c);
      h.chains.push_back(next);
      h.commits.push_back(b(c));
    }
    return h;
  }
  // A summary of this history from `from` on.
  BranchSummary summary(std::string node, std::uint64_t from = 0, bool home = false,
                        std::size_t occupants = 1) const {
    BranchSummary s;
    s.node = std::move(node);
    s.home = home;
    s.occupants = occupants;
    s.first_epoch = from;
    s.chains.assign(chains.begin() + static_cast<std::ptrdiff_t>(from), chains.end());
    s.commits.assign(commits.begin() + static_cast<std::ptrdiff_t>(from), commits.end());
    return s;
  }
};

ForkVerdict verdict(const std::vector<BranchSummary>& bs) {
  auto r = choose(bs);
  EXPECT_TRUE(r.verdict.has_value());
  return r.verdict.value_or(ForkVerdict{});
}

const History base = History{}.then({1, 2, 3});  // epochs 0..3 shared

TEST(ForkChoice, ABranchThatIsAPrefixIsBehindNotForked) {
  auto v = verdict({base.summary("a@m.a"), base.then({4, 5}).summary("b@m.b")});
  EXPECT_EQ(v.canonical, 1u);
  EXPECT_EQ(v.fork_epoch, 3u);
  EXPECT_EQ(v.behind, std::vector<std::size_t>{0});
  EXPECT_TRUE(v.losing.empty());
}

TEST(ForkChoice, TheHomeNodesBranchWinsWhateverTheOccupantsAndLength) {
  const auto home = base.then({9}).summary("h@m.a", 1, true, 2);
  const auto other = base.then({4, 5, 6, 7}).summary("m@m.b", 1, false, 50);
  auto v = verdict({other, home});
  EXPECT_EQ(v.canonical, 1u);
  EXPECT_EQ(v.fork_epoch, 3u);
  EXPECT_EQ(v.losing, std::vector<std::size_t>{0});
}

TEST(ForkChoice, WithoutTheHomeMoreOccupantsWin) {
  auto v = verdict({base.then({4}).summary("x@m.b", 0, false, 3),
                    base.then({200, 201}).summary("y@m.c", 0, false, 4)});
  EXPECT_EQ(v.canonical, 1u);
}

TEST(ForkChoice, ThenTheLowerFirstCommitAfterTheForkWinsEvenWhenShorter) {
  const auto shorter = base.then({5}).summary("x@m.b");
  const auto longer = base.then({6, 1, 1, 1, 1}).summary("y@m.c");  // padded with commits
  auto v = verdict({longer, shorter});
  EXPECT_EQ(v.canonical, 1u);
  EXPECT_EQ(v.losing, std::vector<std::size_t>{0});
}

TEST(ForkChoice, SummariesOfOneBranchAreOneCompetitorWithTheirBestFacts) {
  // Two nodes of one side report the same head; one of them is the home.
  const History side = base.then({8});
  auto v =
      verdict({side.summary("m@m.b", 0, false, 1), base.then({4}).summary("x@m.c", 0, false, 9),
               side.summary("h@m.a", 0, true, 1)});
  EXPECT_EQ(choose({side.summary("m@m.b"), side.summary("h@m.a", 0, true)}).verdict->losing.size(),
            0u);
  EXPECT_TRUE(v.canonical == 0u || v.canonical == 2u);
  EXPECT_EQ(v.losing, std::vector<std::size_t>{1});
}

TEST(ForkChoice, MalformedOrUnrelatedSummariesAreRefused) {
  BranchSummary empty;
  EXPECT_EQ(choose({empty}).error, ForkError::malformed);
  auto bad = base.summary("a@m.a");
  bad.commits.push_back(b(1));
  EXPECT_EQ(choose({bad}).error, ForkError::malformed);
  EXPECT_EQ(choose({}).error, ForkError::malformed);
  // Summaries that start after the fork point share no epoch: longer ones are needed.
  EXPECT_EQ(
      choose({base.then({4, 5}).summary("x@m.b", 4), base.then({6, 7}).summary("y@m.c", 4)}).error,
      ForkError::no_common_point);
}

// The canonical branch as content (its head chain), so verdicts over permuted inputs compare.
Bytes canonical_head(const std::vector<BranchSummary>& bs) {
  auto r = choose(bs);
  EXPECT_TRUE(r.verdict.has_value());
  return r.verdict ? bs[r.verdict->canonical].chains.back() : Bytes{};
}

TEST(ForkChoice, EveryOrderOfTheSummariesGivesTheSameBranch) {
  // Forks at three different epochs among four branches.
  const History common = History{}.then({1, 2});
  const History bc = common.then({7, 7});
  const std::vector<BranchSummary> all = {
      common.then({9, 9, 9}).summary("a@m.a", 0, false, 2),
      bc.then({3}).summary("b@m.b", 0, false, 2),
      bc.then({2, 2, 2, 2}).summary("c@m.c", 0, false, 2),
      common.then({7, 8}).summary("d@m.d", 0, false, 2),
  };
  std::vector<std::size_t> order(all.size());
  std::iota(order.begin(), order.end(), 0);
  const Bytes expected = bc.then({2, 2, 2, 2}).chains.back();  // 7,7,2 < 7,7,3 < 7,8 < 9
  int permutations = 0;
  do {
    std::vector<BranchSummary> bs;
    for (std::size_t i : order) bs.push_back(all[i]);
    EXPECT_EQ(canonical_head(bs), expected);
    ++permutations;
  } while (std::next_permutation(order.begin(), order.end()));
  EXPECT_EQ(permutations, 24);
}

TEST(ForkChoice, RandomBranchTreesGiveOneVerdictInAnyOrder) {
  std::mt19937 rng(7);
  for (int round = 0; round < 300; ++round) {
    // A random tree: each branch forks from a random earlier one at a random epoch.
    std::vector<History> hs{History{}.then({1})};
    const int n = 2 + static_cast<int>(rng() % 5);
    for (int i = 1; i < n; ++i) {
      const History& parent = hs[rng() % hs.size()];
      History h = parent;
      h.chains.resize(1 + rng() % parent.chains.size());
      h.commits.resize(h.chains.size() - 1);
      std::vector<std::uint8_t> more(1 + rng() % 4);
      for (auto& c : more) c = static_cast<std::uint8_t>(rng() % 6);
      hs.push_back(h.then(more));
    }
    std::vector<BranchSummary> bs;
    for (std::size_t i = 0; i < hs.size(); ++i) {
      bs.push_back(hs[i].summary("n" + std::to_string(i) + "@m.test", 0, i == 0 && rng() % 2 == 0,
                                 1 + rng() % 3));
    }
    auto r = choose(bs);
    ASSERT_TRUE(r.verdict.has_value());
    const ForkVerdict v = *r.verdict;
    // The winner is extended by no other branch; every loser is off it, every behind one on it.
    for (std::size_t i : v.losing) EXPECT_NE(bs[i].chains.back(), bs[v.canonical].chains.back());
    EXPECT_EQ(v.losing.size() + v.behind.size() + 1, bs.size());
    const Bytes head = bs[v.canonical].chains.back();
    for (int k = 0; k < 5; ++k) {
      std::shuffle(bs.begin(), bs.end(), rng);
      ASSERT_EQ(canonical_head(bs), head) << "round " << round;
    }
  }
}

}  // namespace
}  // namespace conclave::component::federation

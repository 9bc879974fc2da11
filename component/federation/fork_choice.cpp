#include "component/federation/fork_choice.h"

#include <algorithm>
#include <tuple>

namespace conclave::component::federation {

namespace {

// chain_at: a branch's chain hash of `epoch`, or null if the summary does not cover it.
const Bytes* chain_at(const BranchSummary& b, std::uint64_t epoch) {
  if (epoch < b.first_epoch || epoch > b.head()) return nullptr;
  return &b.chains[epoch - b.first_epoch];
}

// on: whether branch `a`'s head lies on branch `b` (the same history up to a's head).
bool on(const BranchSummary& a, const BranchSummary& b) {
  const Bytes* there = chain_at(b, a.head());
  return there != nullptr && *there == a.chains.back();
}

// The commits of `b` from `epoch` on.
std::vector<Bytes> commits_from(const BranchSummary& b, std::uint64_t epoch) {
  if (epoch < b.first_epoch) return b.commits;  // cannot happen past the common-point search
  return {b.commits.begin() + static_cast<std::ptrdiff_t>(epoch - b.first_epoch), b.commits.end()};
}

}  // namespace

ForkResult choose(const std::vector<BranchSummary>& branches) {
  if (branches.empty()) return {std::nullopt, ForkError::malformed};
  for (const BranchSummary& b : branches) {
    if (b.chains.empty() || b.commits.size() + 1 != b.chains.size()) {
      return {std::nullopt, ForkError::malformed};
    }
  }
  // The fork point: the latest epoch every summary covers with one chain hash. Equal chain
  // hashes mean equal histories up to there (each hashes its predecessor), so searching down
  // from the lowest head finds the last shared epoch.
  std::uint64_t top = branches[0].head();
  std::uint64_t bottom = branches[0].first_epoch;
  for (const BranchSummary& b : branches) {
    top = std::min(top, b.head());
    bottom = std::max(bottom, b.first_epoch);
  }
  std::optional<std::uint64_t> fork;
  for (std::uint64_t e = top + 1; e-- > bottom && !fork;) {
    const Bytes* first = chain_at(branches[0], e);
    const bool shared = std::all_of(branches.begin(), branches.end(), [&](const BranchSummary& b) {
      const Bytes* c = chain_at(b, e);
      return c != nullptr && *c == *first;
    });
    if (shared) fork = e;
  }
  if (!fork) return {std::nullopt, ForkError::no_common_point};

  // Competitors: branches no other branch extends. Several summaries of one branch (the same
  // head: nodes of one side) are one competitor, holding the home if any of them does and the
  // most occupants any of them saw, so the verdict never depends on which of them came first.
  auto same = [&](std::size_t i, std::size_t j) {
    return branches[i].head() == branches[j].head() && on(branches[i], branches[j]);
  };
  std::vector<std::size_t> heads;
  for (std::size_t i = 0; i < branches.size(); ++i) {
    bool extended = false;
    for (std::size_t j = 0; j < branches.size() && !extended; ++j) {
      extended = j != i && on(branches[i], branches[j]) && branches[j].head() > branches[i].head();
    }
    if (!extended) heads.push_back(i);
  }
  // The rule's key; "less" is better. The commits after the fork compare in byte order, which
  // is decided at the first commit where two branches differ (one cannot be a prefix of another
  // here: such a branch would not be a head). Equal keys are summaries of one branch.
  auto key = [&](std::size_t i) {
    bool home = false;
    std::size_t occupants = 0;
    for (std::size_t j = 0; j < branches.size(); ++j) {
      if (!same(i, j)) continue;
      home = home || branches[j].home;
      occupants = std::max(occupants, branches[j].occupants);
    }
    return std::make_tuple(!home, -static_cast<long long>(occupants),
                           commits_from(branches[i], *fork));
  };
  // Among summaries of the winning branch, the lowest node JID stands for it: any order of
  // the same summaries gives the same index's content.
  const std::size_t best =
      *std::min_element(heads.begin(), heads.end(), [&](std::size_t a, std::size_t b) {
        const auto ka = key(a), kb = key(b);
        return ka < kb || (ka == kb && branches[a].node < branches[b].node);
      });
  ForkVerdict v;
  v.fork_epoch = *fork;
  v.canonical = best;
  for (std::size_t i = 0; i < branches.size(); ++i) {
    if (i == best) continue;
    (on(branches[i], branches[best]) ? v.behind : v.losing).push_back(i);
  }
  return {v, std::nullopt};
}

}  // namespace conclave::component::federation

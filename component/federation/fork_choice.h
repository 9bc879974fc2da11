#pragma once
// Fork choice for a federated chat room after a netsplit (docs/federation.md §4,
// docs/sequencing.md §B.3-§B.4): each side sequenced its own commits; when the links return,
// the nodes exchange one BranchSummary per side, and every node picks the same canonical branch
// from the summaries alone, whatever order they arrived in:
//   (1) the branch that holds the room's home node;
//   (2) then the branch with more distinct occupants at its head;
//   (3) then the branch whose commits after the fork point come first in byte order, i.e. the
//       lower hash of the first commit where two branches differ.
// Never clocks (they cannot be compared across servers) and never branch length (anyone can
// lengthen a branch with empty commits). A branch whose head lies on another branch is not a
// competitor: it is behind, and catches up by the commits it lacks.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace conclave::component::federation {

using Bytes = std::vector<std::uint8_t>;

struct BranchSummary {
  std::string node;   // the FMUC node that sequenced this side (a room JID)
  bool home = false;  // the room's home node is on this side
  // The chain hashes (docs/protocol.md §6.7) of epochs first_epoch, first_epoch + 1, ...,
  // head: chains[i] names the whole history up to epoch first_epoch + i.
  std::uint64_t first_epoch = 0;
  std::vector<Bytes> chains;
  // The commits made in epochs first_epoch, ..., head - 1 (one fewer than chains).
  std::vector<Bytes> commits;
  std::size_t occupants = 0;  // distinct occupants' bare JIDs at the head

  std::uint64_t head() const { return first_epoch + chains.size() - 1; }
};

struct ForkVerdict {
  std::uint64_t fork_epoch = 0;  // the last epoch every branch shares
  std::size_t canonical = 0;     // index into the summaries
  // Branches on the canonical one (behind or equal): they catch up. Others lost: their
  // members converge (docs/federation.md §4.3).
  std::vector<std::size_t> behind;
  std::vector<std::size_t> losing;
};

enum class ForkError {
  malformed,       // a summary with no chain, or commits not one fewer than chains
  no_common_point  // the summaries share no epoch with equal chain hashes: ask for longer ones
};

struct ForkResult {
  std::optional<ForkVerdict> verdict;
  std::optional<ForkError> error;
};

// choose: the verdict over `branches` (at least one).
ForkResult choose(const std::vector<BranchSummary>& branches);

}  // namespace conclave::component::federation

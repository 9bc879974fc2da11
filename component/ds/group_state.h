#pragma once
// RoomGroup: what the delivery service keeps in memory for a room whose group exists: the
// public view (mls::PublicGroup), the current GroupInfo, the members' identities and the
// service proposals still pending in this epoch. Built from the store's rows after a restart
// or a cache eviction (group_from_record), written back node by node (changed_nodes).
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "component/store/mls_store.h"
#include "mls/group/public_group.h"

namespace conclave::component::ds {

struct PendingProposal {
  mls::Bytes ref;
  mls::Bytes wire;  // MLSMessage PublicMessage Proposal
  mls::LeafIndex removed;
};

struct RoomGroup {
  explicit RoomGroup(mls::PublicGroup g) : group(std::move(g)) { recount(); }

  mls::PublicGroup group;
  mls::Bytes group_info;  // MLSMessage GroupInfo of this epoch, as the committer sent it
  mls::Bytes chain_hash;  // commit chain of this epoch (mls/crypto/commit_chain.h)
  std::vector<PendingProposal> pending;
  std::unordered_map<std::string, std::uint32_t> identities;  // bare JID -> number of leaves

  Epoch epoch() const { return Epoch(group.epoch()); }  // mls/ counts epochs as integers
  const mls::Bytes& group_id() const { return group.context().group_id; }
  bool is_member(const std::string& bare) const { return identities.count(bare) != 0; }
  // recount: rebuilds `identities` from the tree (after a merge).
  void recount();
};

// group_from_record: the group of a stored room: decodes every node, rebuilds the tree, checks
// its hash against the stored one (a corrupt row must not become the room's truth), then
// replays the pending service proposals into the view. Errors: decoding and tree errors,
// mls::Errc::tree_hash_mismatch.
Result<RoomGroup> group_from_record(const MlsGroupRecord& record,
                                    const std::vector<MlsProposalRecord>& pending);

// all_nodes: every non-blank node of `tree` as the store keeps it (for create_group).
std::vector<MlsNode> all_nodes(const mls::PublicTree& tree);
// changed_nodes: the rows a commit rewrites: the new data of each changed node inside the new
// tree, nullopt for a node that became blank.
std::vector<MlsNodeChange> changed_nodes(const mls::PublicTree& tree,
                                         const mls::TreeChanges& changes);

// member_changes: the membership index rows (MlsStore, docs/protocol.md §6.13) of the leaves
// among `nodes` (even node indices, RFC 9420 Appendix C), as they are in `tree`.
std::vector<MemberChange> member_changes(const mls::PublicTree& tree,
                                         const std::vector<MlsNodeChange>& nodes);
// members_of: every occupied leaf of `tree` as the membership index keeps it (create_group).
std::vector<MemberLeaf> members_of(const mls::PublicTree& tree);

// interim_after: the interim transcript hash of an epoch whose confirmed transcript hash is
// `confirmed` and whose confirmation tag is `tag` (RFC 9420 §8.2); PublicGroup keeps it
// privately, the store needs it to rebuild the view.
mls::Bytes interim_after(const mls::CipherSuite& suite, mls::ByteView confirmed, mls::ByteView tag);

}  // namespace conclave::component::ds

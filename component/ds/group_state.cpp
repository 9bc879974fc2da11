#include "component/ds/group_state.h"

#include "component/ds/identity.h"
#include "mls/framing/framed_content.h"
#include "mls/framing/mls_message.h"
#include "mls/schedule/transcript_hash.h"

namespace conclave::component::ds {

void RoomGroup::recount() {
  identities.clear();
  const mls::PublicTree& tree = group.tree();
  for (const mls::LeafIndex l : tree.non_blank_leaves()) {
    if (auto id = leaf_identity(tree, l)) ++identities[*id];
  }
}

mls::Bytes interim_after(const mls::CipherSuite& suite, mls::ByteView confirmed,
                         mls::ByteView tag) {
  return mls::interim_transcript_hash(suite, confirmed,
                                      mls::encode_interim_transcript_hash_input(tag));
}

Result<RoomGroup> group_from_record(const MlsGroupRecord& rec,
                                    const std::vector<MlsProposalRecord>& pending) {
  auto suite = mls::CipherSuite::get(rec.cipher_suite);
  if (!suite) return fail(suite.error());
  auto context = mls::decode<mls::GroupContext>(rec.group_context);
  if (!context) return fail(context.error());
  if (rec.nodes.empty()) return fail(mls::Errc::invalid_tree);
  mls::RatchetTree nodes(rec.nodes.back().index + std::size_t{1});
  for (const MlsNode& n : rec.nodes) {
    if (n.index >= nodes.size()) return fail(mls::Errc::invalid_tree);
    if (n.index % 2 == 0) {
      auto leaf = mls::decode<mls::LeafNode>(n.data);
      if (!leaf) return fail(leaf.error());
      nodes[n.index] = mls::Node{std::move(*leaf)};
    } else {
      auto parent = mls::decode<mls::ParentNode>(n.data);
      if (!parent) return fail(parent.error());
      nodes[n.index] = mls::Node{std::move(*parent)};
    }
  }
  auto tree = mls::PublicTree::from_nodes(**suite, nodes);
  if (!tree) return fail(tree.error());
  if (tree->root_hash() != context->tree_hash || rec.tree_hash != context->tree_hash) {
    return fail(mls::Errc::tree_hash_mismatch);
  }
  RoomGroup out(mls::PublicGroup::from_state(
      mls::EpochState{*suite, std::move(*context), std::move(*tree), rec.interim_transcript_hash}));
  out.group_info = rec.group_info;
  out.chain_hash = rec.chain_hash;
  for (const MlsProposalRecord& p : pending) {
    if (p.epoch != out.epoch()) continue;
    auto msg = mls::decode<mls::MlsMessage>(p.mls_message);
    if (!msg) return fail(msg.error());
    const auto* pm = std::get_if<mls::PublicMessage>(&msg->message);
    const auto* prop = pm ? std::get_if<mls::Proposal>(&pm->content.content.value) : nullptr;
    const auto* remove = prop ? std::get_if<mls::Remove>(&prop->value) : nullptr;
    if (remove == nullptr) continue;  // the service proposes only Removes
    if (auto s = out.group.handle_proposal(*msg); !s) return fail(s.error());
    out.pending.push_back({p.proposal_ref, p.mls_message, mls::LeafIndex{remove->removed}});
  }
  return out;
}

std::vector<MlsNode> all_nodes(const mls::PublicTree& tree) {
  std::vector<MlsNode> out;
  for (std::uint32_t i = 0; i < tree.node_width(); ++i) {
    const mls::NodeIndex x{i};
    if (tree.blank(x)) continue;
    const mls::ByteView e = tree.encoding(x);
    out.push_back({i, Blob(e.begin(), e.end())});
  }
  return out;
}

std::vector<MlsNodeChange> changed_nodes(const mls::PublicTree& tree,
                                         const mls::TreeChanges& changes) {
  std::vector<MlsNodeChange> out;
  out.reserve(changes.changed.size());
  for (const mls::NodeIndex x : changes.changed) {
    if (x.value >= tree.node_width()) continue;  // cut off: the store deletes it by width
    if (tree.blank(x)) {
      out.push_back({x.value, std::nullopt});
    } else {
      const mls::ByteView e = tree.encoding(x);
      out.push_back({x.value, Blob(e.begin(), e.end())});
    }
  }
  return out;
}

std::vector<MemberChange> member_changes(const mls::PublicTree& tree,
                                         const std::vector<MlsNodeChange>& nodes) {
  std::vector<MemberChange> out;
  for (const MlsNodeChange& n : nodes) {
    if (n.index % 2 != 0) continue;  // a parent node
    const mls::LeafIndex l{n.index / 2};
    MemberChange c{l.value, std::nullopt};
    if (auto id = leaf_identity(tree, l)) {
      c.now = MemberLeaf{l.value, std::move(*id), leaf_device_at(tree, l).value_or("")};
    }
    out.push_back(std::move(c));
  }
  return out;
}

std::vector<MemberLeaf> members_of(const mls::PublicTree& tree) {
  std::vector<MemberLeaf> out;
  for (const mls::LeafIndex l : tree.non_blank_leaves()) {
    if (auto id = leaf_identity(tree, l)) {
      out.push_back({l.value, std::move(*id), leaf_device_at(tree, l).value_or("")});
    }
  }
  return out;
}

}  // namespace conclave::component::ds

#include "mls/group/commit_apply.h"

#include <algorithm>

#include "mls/group/welcome_crypto.h"
#include "mls/schedule/transcript_hash.h"
#include "mls/treesync/treekem.h"

namespace conclave::mls {

namespace {

// any_key_in_tree: does any of `keys` appear as the encryption key of a non-blank node other
// than leaf `skip`? O(1) per key through the tree's key index (§7.3: keys unique in the tree).
bool any_key_in_tree(const PublicTree& tree, std::span<const ByteView> keys, LeafIndex skip) {
  for (const ByteView key : keys) {
    for (NodeIndex x : tree.nodes_with_encryption_key(key)) {
      if (x != to_node(skip)) return true;
    }
  }
  return false;
}

}  // namespace

Result<std::vector<ResolvedProposal>> resolve_proposals(const Commit& commit,
                                                        const Sender& committer,
                                                        std::span<const CachedProposal> cache) {
  std::vector<ResolvedProposal> out;
  out.reserve(commit.proposals.size());
  for (const ProposalOrRef& por : commit.proposals) {
    if (const auto* p = std::get_if<Proposal>(&por.value)) {
      out.push_back({*p, committer, false});
      continue;
    }
    const auto& ref = std::get<ProposalRef>(por.value);
    const auto it = std::find_if(cache.begin(), cache.end(),
                                 [&](const CachedProposal& c) { return c.ref == ref; });
    if (it == cache.end()) return fail(Errc::invalid_commit);  // VAL-CM-11
    out.push_back({it->proposal, it->sender, true});
  }
  return out;
}

Result<AppliedProposals> apply_proposals(PublicTree& tree, std::vector<Extension> extensions,
                                         std::span<const ResolvedProposal> proposals) {
  AppliedProposals out;
  out.extensions = std::move(extensions);
  out.path_required = proposals.empty();
  // RFC 9420 §12.3 order: GCE, Updates, Removes, Adds, then PSKs, ExternalInit, ReInit.
  for (const ResolvedProposal& rp : proposals) {
    if (const auto* g = std::get_if<GroupContextExtensions>(&rp.proposal.value)) {
      out.extensions = g->extensions;
      out.path_required = true;
    }
  }
  for (const ResolvedProposal& rp : proposals) {
    if (const auto* u = std::get_if<Update>(&rp.proposal.value)) {
      const LeafIndex l{std::get<MemberSender>(rp.sender.value).leaf_index};
      if (auto s = tree.update(l, u->leaf_node); !s) return fail(s.error());
      out.path_required = true;
    }
  }
  for (const ResolvedProposal& rp : proposals) {
    if (const auto* r = std::get_if<Remove>(&rp.proposal.value)) {
      const LeafIndex l{r->removed};
      if (auto s = tree.remove(l); !s) return fail(s.error());
      out.removed.push_back(l);
      out.path_required = true;
    }
  }
  for (const ResolvedProposal& rp : proposals) {
    if (const auto* a = std::get_if<Add>(&rp.proposal.value)) {
      auto l = tree.add(a->key_package.leaf_node);
      if (!l) return fail(l.error());
      out.joiners.push_back(*l);
      out.added.push_back(a->key_package);
    }
  }
  for (const ResolvedProposal& rp : proposals) {
    if (const auto* p = std::get_if<PreSharedKey>(&rp.proposal.value)) {
      out.psks.push_back(p->psk);
    } else if (const auto* e = std::get_if<ExternalInit>(&rp.proposal.value)) {
      out.external_init = *e;
      out.path_required = true;
    } else if (const auto* ri = std::get_if<ReInit>(&rp.proposal.value)) {
      out.reinit = *ri;
    }
  }
  return out;
}

Bytes next_confirmed_transcript_hash(const CipherSuite& suite, ByteView interim,
                                     const AuthenticatedContent& ac) {
  return confirmed_transcript_hash(suite, interim, encode_confirmed_transcript_hash_input(ac));
}

Result<StagedEpoch> stage_commit_content(const EpochState& st, const AuthenticatedContent& ac,
                                         std::span<const CachedProposal> cache, TreePrivate* priv,
                                         std::optional<std::uint64_t> now,
                                         std::span<const PendingUpdate> own_updates) {
  const CipherSuite& suite = *st.suite;
  const auto* commit = std::get_if<Commit>(&ac.content.content.value);
  if (commit == nullptr) return fail(Errc::invalid_content_type);
  const Sender& sender = ac.content.sender;
  std::optional<LeafIndex> committer;
  if (const auto* m = std::get_if<MemberSender>(&sender.value)) {
    committer = LeafIndex{m->leaf_index};
    if (!contains(st.tree.leaf_count(), *committer) || st.tree.blank(*committer)) {
      return fail(Errc::invalid_sender);
    }
  } else if (sender.type() != SenderType::new_member_commit) {
    return fail(Errc::invalid_sender);
  }
  auto resolved = resolve_proposals(*commit, sender, cache);
  if (!resolved) return fail(resolved.error());
  const ValidationContext vc{&suite, &st.context, &st.tree, now};
  if (auto s = validate_commit_proposals(vc, *resolved, committer, commit->path.has_value()); !s) {
    return fail(s.error());
  }
  PublicTree tree = st.tree;
  auto applied = apply_proposals(tree, st.context.extensions, *resolved);
  if (!applied) return fail(applied.error());

  StagedEpoch out(std::move(tree));
  out.applied = std::move(*applied);
  out.has_path = commit->path.has_value();
  if (priv != nullptr) {
    const LeafIndex own = priv->own_leaf();
    out.own_leaf_removed = std::find(out.applied.removed.begin(), out.applied.removed.end(), own) !=
                           out.applied.removed.end();
    if (!out.own_leaf_removed) {
      // An Update of our own leaf, proposed earlier: its private key takes over (§12.1.2).
      const ByteView cur = out.tree.encryption_key(to_node(own));
      for (const PendingUpdate& u : own_updates) {
        if (same(u.encryption_key, cur)) priv->set_leaf_private_key(u.private_key.clone());
      }
      priv->forget_blank(out.tree);
    }
  }

  if (committer) {
    out.committer = *committer;
  } else {
    // External commit (§12.4.3.2): the joiner takes the leftmost blank leaf.
    if (!commit->path) return fail(Errc::invalid_commit);
    auto l = out.tree.add(commit->path->leaf_node);
    if (!l) return fail(l.error());
    out.committer = *l;
  }

  GroupContext next = st.context;
  next.epoch = st.context.epoch + 1;
  next.extensions = out.applied.extensions;
  if (commit->path) {
    const UpdatePath& path = *commit->path;
    const LeafNode& leaf = path.leaf_node;
    if (leaf.source.type() != LeafNodeSourceType::commit) return fail(Errc::invalid_commit);
    const LeafValidationContext lctx{st.context.group_id, out.applied.extensions, now};
    if (auto s = validate_leaf_node(suite, leaf, out.committer, lctx); !s) return fail(s.error());
    if (committer && same(st.tree.encryption_key(to_node(*committer)), leaf.encryption_key)) {
      return fail(Errc::invalid_commit);
    }
    std::vector<ByteView> keys;
    keys.reserve(path.nodes.size() + 1);
    keys.push_back(leaf.encryption_key);
    for (const UpdatePathNode& n : path.nodes) keys.push_back(n.encryption_key);
    if (any_key_in_tree(out.tree, keys, out.committer)) return fail(Errc::invalid_commit);
    GroupContext provisional = next;  // old confirmed transcript hash (§12.4.2)
    if (priv != nullptr && !out.own_leaf_removed) {
      auto r = process_update_path(out.tree, *priv, out.committer, path, std::move(provisional),
                                   out.applied.joiners);
      if (!r) return fail(r.error());
      out.commit_secret = std::move(r->commit_secret);
    } else {
      if (auto s = out.tree.merge_update_path(out.committer, path); !s) return fail(s.error());
    }
  }
  next.tree_hash = out.tree.root_hash();
  next.confirmed_transcript_hash =
      next_confirmed_transcript_hash(suite, st.interim_transcript_hash, ac);
  out.interim_transcript_hash =
      interim_transcript_hash(suite, next.confirmed_transcript_hash,
                              encode_interim_transcript_hash_input(ac.auth.confirmation_tag));
  out.context = std::move(next);
  return out;
}

}  // namespace conclave::mls

#include "mls/group/proposal_validation.h"

#include <algorithm>

#include "mls/group/extensions.h"
#include "mls/group/key_package_validation.h"

namespace conclave::mls {

namespace {

template <class T>
bool listed(const std::vector<T>& v, T x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

// leaf_uses_signature_key: true when a leaf other than those in `skip` uses `key` (§7.3:
// signature keys unique among the leaves). O(1) through the tree's key index.
bool leaf_uses_signature_key(const PublicTree& tree, ByteView key,
                             std::span<const LeafIndex> skip) {
  for (LeafIndex l : tree.leaves_with_signature_key(key)) {
    if (std::find(skip.begin(), skip.end(), l) == skip.end()) return true;
  }
  return false;
}

// node_uses_encryption_key: true when a node other than the leaves in `skip` uses `key`.
bool node_uses_encryption_key(const PublicTree& tree, ByteView key,
                              std::span<const LeafIndex> skip) {
  for (NodeIndex x : tree.nodes_with_encryption_key(key)) {
    const auto l = to_leaf(x);
    if (!l || std::find(skip.begin(), skip.end(), *l) == skip.end()) return true;
  }
  return false;
}

Status validate_gce(const ValidationContext& vc, const GroupContextExtensions& gce) {
  if (has_duplicate_extensions(gce.extensions)) return fail(Errc::invalid_proposal);
  std::optional<RequiredCapabilities> required;
  if (const Extension* rc = find_extension(gce.extensions, kExtRequiredCapabilities)) {
    auto r = decode<RequiredCapabilities>(rc->extension_data);
    if (!r) return fail(Errc::invalid_proposal);
    required = std::move(*r);
  }
  // Every member must support every non-default extension and the required capabilities.
  for (const LeafIndex l : vc.tree->non_blank_leaves()) {
    const auto leaf = vc.tree->leaf_node(l);
    if (!leaf) return fail(Errc::invalid_tree);
    const Capabilities& caps = leaf->capabilities;
    for (const Extension& e : gce.extensions) {
      if (e.extension_type > kLastDefaultExtensionType &&
          !listed(caps.extensions, e.extension_type)) {
        return fail(Errc::invalid_proposal);
      }
    }
    if (required) {
      for (std::uint16_t e : required->extension_types) {
        if (e > kLastDefaultExtensionType && !listed(caps.extensions, e)) {
          return fail(Errc::invalid_proposal);
        }
      }
      for (std::uint16_t p : required->proposal_types) {
        if (p > kLastDefaultProposalType && !listed(caps.proposals, static_cast<ProposalType>(p))) {
          return fail(Errc::invalid_proposal);
        }
      }
      for (std::uint16_t c : required->credential_types) {
        if (!listed(caps.credentials, static_cast<CredentialType>(c))) {
          return fail(Errc::invalid_proposal);
        }
      }
    }
  }
  return {};
}

}  // namespace

ByteView leaf_signature_key(const PublicTree& tree, LeafIndex l) { return tree.signature_key(l); }

Result<Bytes> external_sender_key(const GroupContext& ctx, std::uint32_t index) {
  const Extension* e = find_extension(ctx.extensions, kExtExternalSenders);
  if (e == nullptr) return fail(Errc::invalid_sender);
  auto senders = decode<std::vector<ExternalSenderEntry>>(e->extension_data);
  if (!senders || index >= senders->size()) return fail(Errc::invalid_sender);  // VAL-PS-01
  return std::move((*senders)[index].signature_key);
}

Status validate_proposal_sender(const ValidationContext& vc, const Proposal& p, const Sender& s) {
  const ProposalType t = p.type();
  if (t == ProposalType::external_init) return fail(Errc::invalid_proposal);  // VAL-PS-04
  switch (s.type()) {
    case SenderType::member: {
      const LeafIndex l{std::get<MemberSender>(s.value).leaf_index};
      if (!contains(vc.tree->leaf_count(), l) || vc.tree->blank(l)) {
        return fail(Errc::invalid_sender);
      }
      return {};
    }
    case SenderType::external: {
      auto key = external_sender_key(*vc.context, std::get<ExternalSender>(s.value).sender_index);
      if (!key) return fail(key.error());
      // VAL-PS-03
      if (t != ProposalType::add && t != ProposalType::remove && t != ProposalType::psk &&
          t != ProposalType::reinit && t != ProposalType::group_context_extensions) {
        return fail(Errc::invalid_proposal);
      }
      return {};
    }
    case SenderType::new_member_proposal:
      if (t != ProposalType::add) return fail(Errc::invalid_proposal);  // VAL-PS-02
      return {};
    case SenderType::new_member_commit:
      return fail(Errc::invalid_sender);
  }
  return fail(Errc::invalid_sender);
}

Status validate_proposal(const ValidationContext& vc, const Proposal& p, const Sender& sender,
                         std::span<const Extension> extensions, bool in_commit) {
  const CipherSuite& suite = *vc.suite;
  const LeafValidationContext lctx{vc.context->group_id, extensions, vc.now};
  return std::visit(
      [&](const auto& body) -> Status {
        using T = std::decay_t<decltype(body)>;
        if constexpr (std::is_same_v<T, Add>) {
          auto kp = validate_key_package(suite, body.key_package, lctx);  // VAL-PR-01
          if (!kp) return fail(kp.error());
          return {};
        } else if constexpr (std::is_same_v<T, Update>) {
          const auto* m = std::get_if<MemberSender>(&sender.value);  // VAL-PR-02
          if (m == nullptr) return fail(Errc::invalid_sender);
          const LeafIndex l{m->leaf_index};
          if (!contains(vc.tree->leaf_count(), l) || vc.tree->blank(l)) {
            return fail(Errc::invalid_sender);
          }
          if (body.leaf_node.source.type() != LeafNodeSourceType::update) {
            return fail(Errc::invalid_proposal);
          }
          if (auto st = validate_leaf_node(suite, body.leaf_node, l, lctx); !st) {
            return fail(st.error());
          }
          // VAL-PR-03
          if (same(vc.tree->encryption_key(to_node(l)), body.leaf_node.encryption_key)) {
            return fail(Errc::invalid_proposal);
          }
          return {};
        } else if constexpr (std::is_same_v<T, Remove>) {
          const LeafIndex l{body.removed};  // VAL-PR-04
          if (!contains(vc.tree->leaf_count(), l) || vc.tree->blank(l)) {
            return fail(Errc::invalid_proposal);
          }
          return {};
        } else if constexpr (std::is_same_v<T, PreSharedKey>) {
          if (body.psk.psk_nonce.size() != suite.hash_size()) {  // VAL-PR-05
            return fail(Errc::invalid_proposal);
          }
          if (const auto* r = std::get_if<ResumptionPskId>(&body.psk.id)) {
            if (in_commit && r->usage != ResumptionPskUsage::application) {
              return fail(Errc::invalid_proposal);
            }
          }
          return {};
        } else if constexpr (std::is_same_v<T, ReInit>) {
          if (body.version < ProtocolVersion::mls10) return fail(Errc::invalid_proposal);
          return {};  // VAL-PR-06
        } else if constexpr (std::is_same_v<T, ExternalInit>) {
          return {};  // placement is checked by the list rules
        } else {
          return validate_gce(vc, body);  // VAL-PR-07
        }
      },
      p.value);
}

Status validate_commit_proposals(const ValidationContext& vc,
                                 std::span<const ResolvedProposal> proposals,
                                 std::optional<LeafIndex> committer, bool has_path) {
  // The extensions in force for the other proposals: a GCE's, if present (§12.3).
  std::span<const Extension> extensions = vc.context->extensions;
  std::size_t n_gce = 0, n_reinit = 0, n_external_init = 0, n_remove = 0, n_other = 0;
  bool path_required = proposals.empty();
  std::vector<LeafIndex> touched;  // leaves of Updates and Removes
  std::vector<LeafIndex> removed;
  std::vector<const PreSharedKeyID*> psks;
  std::vector<const KeyPackage*> adds;
  for (const ResolvedProposal& rp : proposals) {
    const Proposal& p = rp.proposal;
    switch (p.type()) {
      case ProposalType::group_context_extensions:
        ++n_gce;
        extensions = std::get<GroupContextExtensions>(p.value).extensions;
        path_required = true;
        break;
      case ProposalType::update: {
        path_required = true;
        if (!rp.by_reference) return fail(Errc::invalid_commit);  // VAL-CM-01
        const auto* m = std::get_if<MemberSender>(&rp.sender.value);
        if (m == nullptr) return fail(Errc::invalid_commit);
        if (committer && m->leaf_index == committer->value) return fail(Errc::invalid_commit);
        touched.push_back(LeafIndex{m->leaf_index});
        ++n_other;
        break;
      }
      case ProposalType::remove: {
        path_required = true;
        ++n_remove;
        const LeafIndex l{std::get<Remove>(p.value).removed};
        if (committer && l == *committer) return fail(Errc::invalid_commit);  // VAL-CM-02
        touched.push_back(l);
        removed.push_back(l);
        break;
      }
      case ProposalType::add:
        adds.push_back(&std::get<Add>(p.value).key_package);
        ++n_other;
        break;
      case ProposalType::psk:
        psks.push_back(&std::get<PreSharedKey>(p.value).psk);
        break;
      case ProposalType::reinit:
        ++n_reinit;
        break;
      case ProposalType::external_init:
        ++n_external_init;
        path_required = true;
        break;
    }
  }
  if (n_gce > 1) return fail(Errc::invalid_commit);                              // VAL-CM-06
  if (n_reinit > 0 && proposals.size() != 1) return fail(Errc::invalid_commit);  // VAL-CM-07
  if (committer) {
    if (n_external_init != 0) return fail(Errc::invalid_commit);  // VAL-CM-08
  } else {
    // VAL-CM-09
    if (n_external_init != 1 || n_remove > 1 || n_other != 0 || n_gce != 0 || n_reinit != 0) {
      return fail(Errc::invalid_commit);
    }
  }
  if (path_required && !has_path) return fail(Errc::invalid_commit);  // VAL-CM-10
  // VAL-CM-03
  std::sort(touched.begin(), touched.end());
  if (std::adjacent_find(touched.begin(), touched.end()) != touched.end()) {
    return fail(Errc::invalid_commit);
  }
  // VAL-CM-05
  for (std::size_t i = 0; i < psks.size(); ++i) {
    for (std::size_t j = i + 1; j < psks.size(); ++j) {
      if (*psks[i] == *psks[j]) return fail(Errc::invalid_commit);
    }
  }
  // VAL-CM-04
  for (std::size_t i = 0; i < adds.size(); ++i) {
    const KeyPackage& kp = *adds[i];
    for (std::size_t j = i + 1; j < adds.size(); ++j) {
      if (kp.leaf_node.signature_key == adds[j]->leaf_node.signature_key ||
          kp.leaf_node.encryption_key == adds[j]->leaf_node.encryption_key) {
        return fail(Errc::invalid_commit);
      }
    }
    if (leaf_uses_signature_key(*vc.tree, kp.leaf_node.signature_key, removed) ||
        node_uses_encryption_key(*vc.tree, kp.leaf_node.encryption_key, removed)) {
      return fail(Errc::invalid_commit);
    }
  }
  for (const ResolvedProposal& rp : proposals) {
    const bool gce = rp.proposal.type() == ProposalType::group_context_extensions;
    if (auto st = validate_proposal(
            vc, rp.proposal, rp.sender,
            gce ? std::span<const Extension>(vc.context->extensions) : extensions, true);
        !st) {
      return fail(st.error());
    }
  }
  return {};
}

}  // namespace conclave::mls

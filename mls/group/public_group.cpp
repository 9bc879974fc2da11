#include "mls/group/public_group.h"

#include "mls/framing/message_epoch.h"
#include "mls/group/extensions.h"
#include "mls/group/group_info_tree.h"
#include "mls/group/welcome_crypto.h"
#include "mls/schedule/transcript_hash.h"
#include "mls/treesync/tree_validation.h"

namespace conclave::mls {

PublicGroup::PublicGroup(EpochState st, std::optional<std::uint64_t> now)
    : st_(std::move(st)), now_(now) {
  st_.tree.take_changes();  // report only what later commits change
}

PublicGroup PublicGroup::from_state(EpochState st) { return PublicGroup(std::move(st), {}); }

Result<PublicGroup> PublicGroup::from_group_info(const CipherSuite& suite, const GroupInfo& gi,
                                                 const std::optional<RatchetTree>& tree_in,
                                                 std::optional<std::uint64_t> now) {
  const GroupContext& gc = gi.group_context;
  if (gc.version != kProtocolVersionMls10 ||
      gc.cipher_suite != static_cast<std::uint16_t>(suite.id())) {
    return fail(Errc::invalid_value);
  }
  auto tree = verified_group_info_tree(suite, gi, tree_in, now);
  if (!tree) return fail(tree.error());
  Bytes interim =
      interim_transcript_hash(suite, gc.confirmed_transcript_hash,
                              encode_interim_transcript_hash_input(gi.confirmation_tag));
  return PublicGroup(EpochState{&suite, gc, std::move(*tree), std::move(interim)}, now);
}

Result<AuthenticatedContent> PublicGroup::verify(const MlsMessage& msg) const {
  const auto* pm = std::get_if<PublicMessage>(&msg.message);
  if (pm == nullptr) return fail(Errc::unsupported);  // PrivateMessages are opaque here
  const MessageEpoch epoch(*st_.suite, st_.context);
  if (auto s = check_epoch(epoch, pm->content.group_id, pm->content.epoch); !s) {
    return fail(s.error());
  }
  if (pm->content.content_type() == ContentType::application) {
    return fail(Errc::invalid_content_type);
  }
  AuthenticatedContent ac{WireFormat::public_message, pm->content, pm->auth};
  const Sender& s = ac.content.sender;
  Bytes holder;
  ByteView key;
  switch (s.type()) {
    case SenderType::member: {
      const LeafIndex l{std::get<MemberSender>(s.value).leaf_index};
      if (!contains(st_.tree.leaf_count(), l) || st_.tree.blank(l)) {
        return fail(Errc::invalid_sender);
      }
      key = leaf_signature_key(st_.tree, l);
      break;
    }
    case SenderType::external: {
      auto k = external_sender_key(st_.context, std::get<ExternalSender>(s.value).sender_index);
      if (!k) return fail(k.error());
      holder = std::move(*k);
      key = holder;
      break;
    }
    case SenderType::new_member_proposal: {
      const auto* p = std::get_if<Proposal>(&ac.content.content.value);
      const Add* add = p ? std::get_if<Add>(&p->value) : nullptr;
      if (add == nullptr) return fail(Errc::invalid_sender);
      key = add->key_package.leaf_node.signature_key;
      break;
    }
    case SenderType::new_member_commit: {
      const auto* c = std::get_if<Commit>(&ac.content.content.value);
      if (c == nullptr || !c->path) return fail(Errc::invalid_sender);
      key = c->path->leaf_node.signature_key;
      break;
    }
  }
  if (!verify_content_signature(epoch, ac, key)) return fail(Errc::bad_signature);
  return ac;
}

Status PublicGroup::handle_proposal(const MlsMessage& msg) {
  auto ac = verify(msg);
  if (!ac) return fail(ac.error());
  const auto* p = std::get_if<Proposal>(&ac->content.content.value);
  if (p == nullptr) return fail(Errc::invalid_content_type);
  const ValidationContext vc{st_.suite, &st_.context, &st_.tree, now_};
  if (auto s = validate_proposal_sender(vc, *p, ac->content.sender); !s) return fail(s.error());
  if (auto s = validate_proposal(vc, *p, ac->content.sender, st_.context.extensions, false); !s) {
    return fail(s.error());
  }
  proposals_.push_back({proposal_ref(*st_.suite, *ac), *p, ac->content.sender});
  return {};
}

Result<StagedPublicCommit> PublicGroup::stage_commit(const MlsMessage& msg) const {
  auto ac = verify(msg);
  if (!ac) return fail(ac.error());
  if (ac->content.content_type() != ContentType::commit) return fail(Errc::invalid_content_type);
  auto staged = stage_commit_content(st_, *ac, proposals_, nullptr, now_);
  if (!staged) return fail(staged.error());
  PublicCommitReport report;
  report.epoch = staged->context.epoch;
  report.tree_hash = staged->context.tree_hash;
  report.changes = staged->tree.take_changes();
  report.added = staged->applied.joiners;
  report.removed = staged->applied.removed;
  report.committer = staged->committer;
  PublicGroup next(EpochState{st_.suite, std::move(staged->context), std::move(staged->tree),
                              std::move(staged->interim_transcript_hash)},
                   now_);
  return StagedPublicCommit(std::move(next), std::move(report));
}

std::vector<Member> PublicGroup::members() const {
  std::vector<Member> out;
  for (const LeafIndex l : st_.tree.non_blank_leaves()) {
    const auto leaf = st_.tree.leaf_node(l);
    Bytes id;
    if (leaf) {
      if (const auto* b = std::get_if<BasicCredential>(&leaf->credential.value)) id = b->identity;
    }
    out.push_back({l, std::move(id)});
  }
  return out;
}

std::size_t PublicGroup::memory_bytes() const {
  std::size_t n = sizeof(*this) + st_.tree.memory_bytes() + st_.interim_transcript_hash.size();
  for (const auto& p : proposals_) n += sizeof(p) + encode(p.proposal).size();
  return n;
}

}  // namespace conclave::mls

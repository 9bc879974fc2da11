// Receiving handshake messages: proposals (§12.1) and commits (§12.4.2).
#include <algorithm>

#include "mls/framing/private_message_protect.h"
#include "mls/framing/public_message_protect.h"
#include "mls/group/group.h"
#include "mls/group/welcome_crypto.h"

namespace conclave::mls {

namespace {

// content_signature_key: the key that signs `ac`'s content for `sender` (§6.1).
Result<ByteView> sender_key(const PublicTree& tree, const GroupContext& ctx, const Sender& s,
                            const Content& content, Bytes& holder) {
  switch (s.type()) {
    case SenderType::member: {
      const LeafIndex l{std::get<MemberSender>(s.value).leaf_index};
      if (!contains(tree.leaf_count(), l) || tree.blank(l)) return fail(Errc::invalid_sender);
      return leaf_signature_key(tree, l);
    }
    case SenderType::external: {
      auto k = external_sender_key(ctx, std::get<ExternalSender>(s.value).sender_index);
      if (!k) return fail(k.error());
      holder = std::move(*k);
      return ByteView(holder);
    }
    case SenderType::new_member_proposal: {
      const auto* p = std::get_if<Proposal>(&content.value);
      const Add* add = p ? std::get_if<Add>(&p->value) : nullptr;
      if (add == nullptr) return fail(Errc::invalid_sender);
      return ByteView(add->key_package.leaf_node.signature_key);
    }
    case SenderType::new_member_commit: {
      const auto* c = std::get_if<Commit>(&content.value);
      if (c == nullptr || !c->path) return fail(Errc::invalid_sender);
      return ByteView(c->path->leaf_node.signature_key);
    }
  }
  return fail(Errc::invalid_sender);
}

}  // namespace

Result<AuthenticatedContent> Group::unprotect(const MlsMessage& msg, SecretTree& tree) const {
  const MessageEpoch epoch(*st_.suite, st_.context);
  if (const auto* pm = std::get_if<PublicMessage>(&msg.message)) {
    Bytes holder;
    const SignatureKeyLookup lookup = [&](const Sender& s) -> Result<ByteView> {
      return sender_key(st_.tree, st_.context, s, pm->content.content, holder);
    };
    return unprotect_public_message(epoch, *pm, secrets_.membership_key, lookup);
  }
  if (const auto* pr = std::get_if<PrivateMessage>(&msg.message)) {
    const SignatureKeyLookup lookup = [&](const Sender& s) -> Result<ByteView> {
      Bytes unused;
      if (s.type() != SenderType::member) return fail(Errc::invalid_sender);
      return sender_key(st_.tree, st_.context, s, Content{}, unused);
    };
    return unprotect_private_message(epoch, *pr, tree, secrets_.sender_data_secret, lookup);
  }
  return fail(Errc::invalid_value);
}

Status Group::handle_proposal(const MlsMessage& msg) {
  auto ac = unprotect(msg, *secret_tree_);
  if (!ac) return fail(ac.error());
  const auto* p = std::get_if<Proposal>(&ac->content.content.value);
  if (p == nullptr) return fail(Errc::invalid_content_type);
  const ValidationContext vc{st_.suite, &st_.context, &st_.tree, options_.now};
  if (auto s = validate_proposal_sender(vc, *p, ac->content.sender); !s) return fail(s.error());
  if (auto s = validate_proposal(vc, *p, ac->content.sender, st_.context.extensions, false); !s) {
    return fail(s.error());
  }
  proposals_.push_back({proposal_ref(*st_.suite, *ac), *p, ac->content.sender});
  return {};
}

Result<StagedCommit> Group::stage_commit(const MlsMessage& msg) const {
  const CipherSuite& suite = *st_.suite;
  auto ac = unprotect(msg, *secret_tree_);
  if (!ac) return fail(ac.error());
  if (ac->content.content_type() != ContentType::commit) return fail(Errc::invalid_content_type);
  if (const auto* m = std::get_if<MemberSender>(&ac->content.sender.value);
      m != nullptr && m->leaf_index == priv_.own_leaf().value) {
    return fail(Errc::invalid_sender);  // our own commit: merge the StagedCommit we made
  }
  TreePrivate priv = priv_.clone();
  auto staged = stage_commit_content(st_, *ac, proposals_, &priv, options_.now, own_updates_);
  if (!staged) return fail(staged.error());
  if (staged->own_leaf_removed) return StagedCommit(std::nullopt, true);
  // External commit (§8.3): init_secret comes from the joiner's HPKE export to external_pub.
  InitSecret external_init(ByteView{});
  if (staged->applied.external_init) {
    auto pair = derive_external_key_pair(suite, secrets_.external_secret);
    if (!pair) return fail(pair.error());
    auto init = suite.hpke_export_receiver(pair->private_key.view(),
                                           staged->applied.external_init->kem_output, {},
                                           as_bytes(kExternalInitLabel), suite.hash_size());
    if (!init) return fail(init.error());
    external_init = InitSecret(std::move(*init));
  }
  const InitSecret& init_secret =
      staged->applied.external_init ? external_init : secrets_.init_secret;
  auto psk = psk_secret(staged->applied.psks);
  if (!psk) return fail(psk.error());
  const CommitSecret commit_secret =
      staged->has_path ? CommitSecret(std::move(staged->commit_secret)) : zero_commit_secret(suite);
  if (staged->has_path && commit_secret.empty()) return fail(Errc::invalid_commit);
  auto ks = run_key_schedule(suite, init_secret, commit_secret, *psk, encode(staged->context));
  const Bytes tag = confirmation_tag(suite, ks.secrets.confirmation_key.view(),
                                     staged->context.confirmed_transcript_hash);
  if (!ct_equal(tag, ac->auth.confirmation_tag)) return fail(Errc::bad_confirmation_tag);
  auto signer = suite.signing_key(signer_private_.view());
  if (!signer) return fail(signer.error());
  PskStore psks = clone_psks();
  EpochState st{&suite, std::move(staged->context), std::move(staged->tree),
                std::move(staged->interim_transcript_hash)};
  Group next(std::move(st), std::move(priv), std::move(ks.secrets), std::move(*signer),
             signer_private_.clone(), std::move(psks), options_);
  next.inherit_resumption_psks(resumption_psks_);
  next.confirmation_tag_ = tag;
  return StagedCommit(std::move(next), false);
}

void Group::inherit_resumption_psks(const std::map<std::uint64_t, Secret>& older) {
  constexpr std::size_t kKeep = 16;  // resumption PSKs of recent epochs stay usable
  for (auto it = older.rbegin(); it != older.rend() && resumption_psks_.size() < kKeep; ++it) {
    resumption_psks_.emplace(it->first, it->second.clone());
  }
}

}  // namespace conclave::mls

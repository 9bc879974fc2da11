// Joining by external Commit (RFC 9420 §12.4.3.2), for new members and for resync.
#include "mls/framing/message_epoch.h"
#include "mls/framing/public_message_protect.h"
#include "mls/group/extensions.h"
#include "mls/group/group.h"
#include "mls/group/group_info_tree.h"
#include "mls/group/welcome_crypto.h"
#include "mls/schedule/transcript_hash.h"
#include "mls/treesync/tree_validation.h"
#include "mls/treesync/treekem.h"

namespace conclave::mls {

Result<std::pair<MlsMessage, StagedCommit>> Group::join_external(
    const CipherSuite& suite, const GroupInfo& gi, const std::optional<RatchetTree>& tree_in,
    const KeyPackageBundle& joiner, std::optional<LeafIndex> resync_leaf, GroupOptions options) {
  const GroupContext& gc = gi.group_context;
  if (gc.version != kProtocolVersionMls10 ||
      gc.cipher_suite != static_cast<std::uint16_t>(suite.id())) {
    return fail(Errc::unsupported_cipher_suite);
  }
  const Extension* ext_pub = find_extension(gi.extensions, kExtExternalPub);
  if (ext_pub == nullptr) return fail(Errc::invalid_value);
  auto external_pub = decode<ExternalPub>(ext_pub->extension_data);
  if (!external_pub) return fail(external_pub.error());

  auto tree = verified_group_info_tree(suite, gi, tree_in, options.now, options.validation_threads);
  if (!tree) return fail(tree.error());

  Rng& rng = options.rng != nullptr ? *options.rng : system_rng();
  // §8.3: kem_output, context = SetupBaseS(external_pub, ""); init_secret = context.export(...)
  auto exported = suite.hpke_export_sender(external_pub->external_pub, {},
                                           as_bytes(kExternalInitLabel), suite.hash_size(), rng);
  if (!exported) return fail(exported.error());

  Commit commit;
  commit.proposals.push_back(ProposalOrRef{Proposal{ExternalInit{std::move(exported->first)}}});
  if (resync_leaf) commit.proposals.push_back(ProposalOrRef{Proposal{Remove{resync_leaf->value}}});
  Sender sender;
  sender.value = NewMemberCommitSender{};
  auto resolved = resolve_proposals(commit, sender, {});
  if (!resolved) return fail(resolved.error());
  const ValidationContext vc{&suite, &gc, &*tree, options.now};
  if (auto s = validate_commit_proposals(vc, *resolved, std::nullopt, true); !s) {
    return fail(s.error());
  }
  auto applied = apply_proposals(*tree, gc.extensions, *resolved);
  if (!applied) return fail(applied.error());
  auto own = tree->add(joiner.key_package.leaf_node);
  if (!own) return fail(own.error());

  auto signer = suite.signing_key(joiner.secrets.signature_private_key.view());
  if (!signer) return fail(signer.error());
  GroupContext next = gc;
  next.epoch = gc.epoch + 1;
  next.extensions = applied->extensions;
  TreePrivate priv(*own, joiner.secrets.encryption_private_key.clone());
  auto created =
      create_update_path(*tree, priv, joiner.key_package.leaf_node, *signer, next, {}, rng);
  if (!created) return fail(created.error());
  commit.path = std::move(created->path);
  next.tree_hash = tree->root_hash();

  FramedContent fc;
  fc.group_id = gc.group_id;
  fc.epoch = gc.epoch;
  fc.sender = sender;
  fc.content.value = std::move(commit);
  const MessageEpoch epoch(suite, gc);
  auto ac = sign_content(epoch, WireFormat::public_message, std::move(fc), *signer);
  if (!ac) return fail(ac.error());
  const Bytes interim_before =
      interim_transcript_hash(suite, gc.confirmed_transcript_hash,
                              encode_interim_transcript_hash_input(gi.confirmation_tag));
  next.confirmed_transcript_hash = next_confirmed_transcript_hash(suite, interim_before, *ac);
  const InitSecret init_secret(std::move(exported->second));
  auto ks = run_key_schedule(suite, init_secret, CommitSecret(std::move(created->commit_secret)),
                             zero_psk_secret(suite), encode(next));
  Bytes tag =
      confirmation_tag(suite, ks.secrets.confirmation_key.view(), next.confirmed_transcript_hash);
  ac->auth.confirmation_tag = tag;
  Bytes interim = interim_transcript_hash(suite, next.confirmed_transcript_hash,
                                          encode_interim_transcript_hash_input(tag));
  // A new_member_commit sender carries no membership tag (§6.2); the key is unused.
  const MembershipKey no_key(ByteView{});
  auto pm = protect_public_message(epoch, std::move(*ac), no_key);
  if (!pm) return fail(pm.error());
  MlsMessage msg;
  msg.message = std::move(*pm);
  Group g(EpochState{&suite, std::move(next), std::move(*tree), std::move(interim)},
          std::move(priv), std::move(ks.secrets), std::move(*signer),
          joiner.secrets.signature_private_key.clone(), {}, options);
  g.confirmation_tag_ = std::move(tag);
  return std::pair<MlsMessage, StagedCommit>{std::move(msg), StagedCommit(std::move(g), false)};
}

}  // namespace conclave::mls

// Group::join (RFC 9420 §12.4.3.1) and the Group constructor.
#include <algorithm>

#include "mls/group/extensions.h"
#include "mls/group/group.h"
#include "mls/group/welcome_crypto.h"
#include "mls/schedule/transcript_hash.h"
#include "mls/treesync/tree_validation.h"

namespace conclave::mls {

bool BytesLess::operator()(const Bytes& a, const Bytes& b) const {
  const std::size_t n = std::min(a.size(), b.size());
  for (std::size_t i = 0; i < n; ++i) {
    if (a[i] != b[i]) return a[i] < b[i];
  }
  return a.size() < b.size();
}

Group::Group(EpochState st, TreePrivate priv, EpochSecrets secrets, SigningKey signer,
             Secret signer_private, PskStore psks, GroupOptions options)
    : st_(std::move(st)),
      priv_(std::move(priv)),
      secrets_(std::move(secrets)),
      signer_(std::move(signer)),
      signer_private_(std::move(signer_private)),
      psks_(std::move(psks)),
      options_(options) {
  secret_tree_ = std::make_unique<SecretTree>(*st_.suite, secrets_.encryption_secret.clone(),
                                              st_.tree.leaf_count());
  resumption_psks_.emplace(st_.context.epoch, Secret(secrets_.resumption_psk.view()));
}

Result<PskSecret> Group::psk_secret(std::span<const PreSharedKeyID> ids) const {
  std::vector<ByteView> values;
  values.reserve(ids.size());
  for (const PreSharedKeyID& id : ids) {
    if (const auto* e = std::get_if<ExternalPskId>(&id.id)) {
      const auto it = psks_.find(e->psk_id);
      if (it == psks_.end()) return fail(Errc::unknown_psk);
      values.push_back(it->second.view());
    } else {
      const auto& r = std::get<ResumptionPskId>(id.id);
      const auto it = resumption_psks_.find(r.psk_epoch);
      if (r.psk_group_id != st_.context.group_id || it == resumption_psks_.end()) {
        return fail(Errc::unknown_psk);
      }
      values.push_back(it->second.view());
    }
  }
  return derive_psk_secret(*st_.suite, ids, values);
}

Result<Group> Group::join(const CipherSuite& suite, const Welcome& welcome, const KeyPackage& kp,
                          KeyPackageSecrets secrets, const std::optional<RatchetTree>& tree_in,
                          PskStore psks, GroupOptions options) {
  if (welcome.cipher_suite != static_cast<std::uint16_t>(suite.id()) ||
      kp.cipher_suite != welcome.cipher_suite) {
    return fail(Errc::unsupported_cipher_suite);
  }
  auto gs = open_group_secrets(suite, welcome, key_package_ref(suite, kp),
                               secrets.init_private_key.view());
  if (!gs) return fail(gs.error());
  const JoinerSecret joiner(Secret(std::move(gs->joiner_secret)));
  // PSKs (§8.4): only external ones can be known to a joiner without group state.
  std::vector<ByteView> values;
  for (const PreSharedKeyID& id : gs->psks) {
    const auto* e = std::get_if<ExternalPskId>(&id.id);
    if (e == nullptr) return fail(Errc::unknown_psk);
    const auto it = psks.find(e->psk_id);
    if (it == psks.end()) return fail(Errc::unknown_psk);
    values.push_back(it->second.view());
  }
  auto psk = derive_psk_secret(suite, gs->psks, values);
  if (!psk) return fail(psk.error());
  const auto inter = derive_intermediate_secret(suite, joiner, *psk);
  auto gi =
      open_group_info(suite, derive_welcome_secret(suite, inter), welcome.encrypted_group_info);
  if (!gi) return fail(gi.error());
  GroupContext& gc = gi->group_context;
  if (gc.version != kProtocolVersionMls10 || gc.cipher_suite != welcome.cipher_suite) {
    return fail(Errc::invalid_value);
  }

  // The tree: from the ratchet_tree extension or supplied out of band (§12.4.3.3).
  Result<PublicTree> tree = fail(Errc::invalid_value);
  if (const Extension* e = find_extension(gi->extensions, kExtRatchetTree)) {
    tree = PublicTree::decode(suite, e->extension_data, options.tree_build);
  } else if (tree_in) {
    tree = PublicTree::from_nodes(suite, *tree_in, options.tree_build);
  }
  if (!tree) return fail(tree.error());

  const LeafIndex signer{gi->signer};
  if (!contains(tree->leaf_count(), signer) || tree->blank(signer)) {
    return fail(Errc::invalid_sender);
  }
  if (!verify_group_info(suite, *gi, leaf_signature_key(*tree, signer))) {
    return fail(Errc::bad_signature);
  }
  const LeafValidationContext lctx{gc.group_id, gc.extensions, options.now};
  const unsigned threads = validation_threads(options.validation_threads, tree->leaf_count());
  if (auto st = validate_tree(*tree, lctx, ByteView(gc.tree_hash), threads); !st) {
    return fail(st.error());
  }

  // Our own leaf: the one carrying our KeyPackage's LeafNode.
  const Bytes own_encoding = encode(kp.leaf_node);
  std::optional<LeafIndex> own;
  for (std::uint32_t i = 0; i < tree->leaf_count().value(); ++i) {
    const ByteView enc = tree->encoding(to_node(LeafIndex{i}));
    if (std::ranges::equal(enc, own_encoding)) {
      own = LeafIndex{i};
      break;
    }
  }
  if (!own) return fail(Errc::invalid_tree);

  TreePrivate priv(*own, std::move(secrets.encryption_private_key));
  if (gs->path_secret) {
    // The path secret is for the lowest common ancestor of us and the committer; the secrets
    // above it on the committer's filtered direct path follow by DeriveSecret(., "path").
    const NodeIndex lca = common_ancestor(to_node(*own), to_node(signer));
    const auto fdp = tree->filtered_direct_path(signer);
    auto it = std::find(fdp.begin(), fdp.end(), lca);
    if (it == fdp.end()) return fail(Errc::invalid_value);
    Secret secret(std::move(gs->path_secret->path_secret));
    for (; it != fdp.end(); ++it) {
      Secret next = suite.derive_secret(secret.view(), "path");
      if (auto st = priv.set_path_secret(suite, *it, std::move(secret)); !st) {
        return fail(st.error());
      }
      secret = std::move(next);
    }
  }
  if (auto st = priv.check_consistent(*tree); !st) return fail(st.error());

  auto epoch = join_key_schedule(suite, joiner, *psk, encode(gc));
  const Bytes tag =
      confirmation_tag(suite, epoch.confirmation_key.view(), gc.confirmed_transcript_hash);
  if (!ct_equal(tag, gi->confirmation_tag)) return fail(Errc::bad_confirmation_tag);
  Bytes interim = interim_transcript_hash(suite, gc.confirmed_transcript_hash,
                                          encode_interim_transcript_hash_input(tag));
  auto signer_key = suite.signing_key(secrets.signature_private_key.view());
  if (!signer_key) return fail(signer_key.error());
  if (signer_key->public_key() != kp.leaf_node.signature_key) return fail(Errc::invalid_key);
  EpochState st{&suite, std::move(gc), std::move(*tree), std::move(interim)};
  Group g(std::move(st), std::move(priv), std::move(epoch), std::move(*signer_key),
          std::move(secrets.signature_private_key), std::move(psks), options);
  g.confirmation_tag_ = tag;
  return g;
}

Result<Secret> Group::exporter(std::string_view label, ByteView context, std::size_t length) const {
  return mls_exporter(*st_.suite, secrets_.exporter_secret, label, context, length);
}

}  // namespace conclave::mls

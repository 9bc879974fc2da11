// A member's own operations: creating a group (§11), proposing (§12.1), committing (§12.4,
// §12.4.3.1 Welcome) and application messages (§6.3).
#include <algorithm>

#include "mls/framing/message_epoch.h"
#include "mls/framing/private_message_protect.h"
#include "mls/framing/public_message_protect.h"
#include "mls/group/extensions.h"
#include "mls/group/group.h"
#include "mls/group/welcome_crypto.h"
#include "mls/schedule/transcript_hash.h"
#include "mls/treesync/treekem.h"

namespace conclave::mls {

namespace {

// select_cached picks the cached proposals a commit by `own` carries by reference. RFC 9420
// §12.2: the committer leaves out invalid proposals instead of failing (an Add duplicating a
// member, a second Update/Remove of a leaf, an own Update, a Remove of itself, ...). The plain
// choice (every cached proposal minus own Updates, Removes of ourselves and second
// Updates/Removes of a leaf, where a Remove wins) is kept when the whole list validates, the
// usual case, at the cost of one validation. Otherwise proposals are admitted one at a time,
// each only if the list with it still validates: Removes first, then the others, Updates last
// (so a Remove wins over an Update of the same leaf), the commit keeping cache order.
// `by_value` must validate on its own, else its error is returned. The selection returned, in
// cache order with `by_value` after it, is one that validate_commit_proposals() accepted with a
// path: Group::commit relies on that instead of validating the same list again.
Result<std::vector<const CachedProposal*>> select_cached(const ValidationContext& vc,
                                                         std::span<const CachedProposal> cache,
                                                         std::span<const Proposal> by_value,
                                                         LeafIndex own) {
  Sender self;
  self.value = MemberSender{own.value};
  const auto validates = [&](std::span<const CachedProposal* const> refs) {
    std::vector<ResolvedProposal> list;
    list.reserve(refs.size() + by_value.size());
    for (const CachedProposal* c : refs) list.push_back({c->proposal, c->sender, true});
    for (const Proposal& p : by_value) list.push_back({p, self, false});
    // The commit carries a path whenever one is required (§12.4), so validate with one.
    return validate_commit_proposals(vc, list, own, true);
  };
  if (auto s = validates({}); !s) return fail(s.error());

  // The plain choice. Removes by value come first: a cached Remove of the same leaf is dropped.
  std::vector<std::uint32_t> removed;
  for (const Proposal& p : by_value) {
    if (const auto* r = std::get_if<Remove>(&p.value)) removed.push_back(r->removed);
  }
  const auto listed = [](const std::vector<std::uint32_t>& v, std::uint32_t x) {
    return std::find(v.begin(), v.end(), x) != v.end();
  };
  std::vector<const CachedProposal*> plain;
  for (const CachedProposal& c : cache) {
    if (const auto* r = std::get_if<Remove>(&c.proposal.value)) {
      if (r->removed == own.value || listed(removed, r->removed)) continue;
      removed.push_back(r->removed);
    }
    plain.push_back(&c);
  }
  std::vector<std::uint32_t> updated;
  std::erase_if(plain, [&](const CachedProposal* c) {
    if (!std::holds_alternative<Update>(c->proposal.value)) return false;
    const auto* m = std::get_if<MemberSender>(&c->sender.value);
    if (m == nullptr || m->leaf_index == own.value || listed(removed, m->leaf_index) ||
        listed(updated, m->leaf_index)) {
      return true;
    }
    updated.push_back(m->leaf_index);
    return false;
  });
  // An empty plain choice (no cached proposals: a commit of by-value proposals only, such as
  // one Add) is the list validated just above; each validation checks every KeyPackage's two
  // signatures again.
  if (plain.empty() || validates(plain)) return plain;

  const auto pass_of = [](const Proposal& p) {
    if (std::holds_alternative<Remove>(p.value)) return 0;
    return std::holds_alternative<Update>(p.value) ? 2 : 1;
  };
  std::vector<bool> taken(cache.size(), false);
  std::vector<const CachedProposal*> trial;
  for (int pass = 0; pass < 3; ++pass) {
    for (std::size_t i = 0; i < cache.size(); ++i) {
      if (pass_of(cache[i].proposal) != pass) continue;
      taken[i] = true;
      trial.clear();
      for (std::size_t j = 0; j < cache.size(); ++j) {
        if (taken[j]) trial.push_back(&cache[j]);
      }
      if (!validates(trial)) taken[i] = false;
    }
  }
  std::vector<const CachedProposal*> out;
  for (std::size_t j = 0; j < cache.size(); ++j) {
    if (taken[j]) out.push_back(&cache[j]);
  }
  return out;
}

}  // namespace

KeyPackageBundle KeyPackageBundle::clone() const {
  return KeyPackageBundle{key_package, KeyPackageSecrets{secrets.init_private_key.clone(),
                                                         secrets.encryption_private_key.clone(),
                                                         secrets.signature_private_key.clone()}};
}

Result<KeyPackageBundle> make_key_package(const CipherSuite& suite, const Credential& credential,
                                          Secret signature_private_key, Rng& rng, Lifetime lifetime,
                                          std::vector<Extension> leaf_extensions) {
  auto signer = suite.signing_key(signature_private_key.view());
  if (!signer) return fail(signer.error());
  KeyPair init = suite.generate_hpke_key_pair(rng);
  KeyPair enc = suite.generate_hpke_key_pair(rng);
  KeyPackage kp;
  kp.cipher_suite = static_cast<std::uint16_t>(suite.id());
  kp.init_key = std::move(init.public_key);
  LeafNode& leaf = kp.leaf_node;
  leaf.encryption_key = std::move(enc.public_key);
  leaf.signature_key = signer->public_key();
  leaf.credential = credential;
  leaf.capabilities.versions = {ProtocolVersion::mls10};
  leaf.capabilities.cipher_suites = {kp.cipher_suite};
  leaf.capabilities.credentials = {credential.type()};
  leaf.source.value = KeyPackageSource{lifetime};
  leaf.extensions = std::move(leaf_extensions);
  if (auto s = sign_leaf_node(*signer, leaf, {}, 0); !s) return fail(s.error());
  auto sig = signer->sign_with_label("KeyPackageTBS", encode_key_package_tbs(kp));
  if (!sig) return fail(sig.error());
  kp.signature = std::move(*sig);
  return KeyPackageBundle{std::move(kp),
                          KeyPackageSecrets{std::move(init.private_key), std::move(enc.private_key),
                                            std::move(signature_private_key)}};
}

PskStore Group::clone_psks() const {
  PskStore out;
  for (const auto& [id, v] : psks_) out.emplace(id, v.clone());
  return out;
}

Result<Group> Group::create(const CipherSuite& suite, Bytes group_id,
                            const KeyPackageBundle& creator, std::vector<Extension> extensions,
                            GroupOptions options) {
  const LeafNode& leaf = creator.key_package.leaf_node;
  auto signer = suite.signing_key(creator.secrets.signature_private_key.view());
  if (!signer) return fail(signer.error());
  if (signer->public_key() != leaf.signature_key) return fail(Errc::invalid_key);
  PublicTree tree = PublicTree::with_creator(suite, leaf);
  GroupContext gc;
  gc.cipher_suite = static_cast<std::uint16_t>(suite.id());
  gc.group_id = std::move(group_id);
  gc.tree_hash = tree.root_hash();
  gc.extensions = std::move(extensions);
  // §11: a fresh random epoch secret; the confirmed transcript hash is empty and the interim
  // one covers the confirmation tag over it.
  Rng& rng = options.rng != nullptr ? *options.rng : system_rng();
  Secret epoch_secret(suite.hash_size());
  rng.fill(std::span<std::uint8_t>(epoch_secret.data(), suite.hash_size()));
  EpochSecrets secrets = derive_epoch_secrets(suite, EpochSecret(std::move(epoch_secret)));
  Bytes tag = confirmation_tag(suite, secrets.confirmation_key.view(), {});
  Bytes interim = interim_transcript_hash(suite, {}, encode_interim_transcript_hash_input(tag));
  TreePrivate priv(LeafIndex{0}, creator.secrets.encryption_private_key.clone());
  Group g(EpochState{&suite, std::move(gc), std::move(tree), std::move(interim)}, std::move(priv),
          std::move(secrets), std::move(*signer), creator.secrets.signature_private_key.clone(), {},
          options);
  g.confirmation_tag_ = std::move(tag);
  return g;
}

Result<MlsMessage> Group::wrap(AuthenticatedContent ac) {
  const MessageEpoch epoch(*st_.suite, st_.context);
  MlsMessage out;
  if (ac.wire_format == WireFormat::private_message) {
    auto pm = protect_private_message(epoch, ac, *secret_tree_, secrets_.sender_data_secret, rng());
    if (!pm) return fail(pm.error());
    out.message = std::move(*pm);
  } else {
    auto pm = protect_public_message(epoch, std::move(ac), secrets_.membership_key);
    if (!pm) return fail(pm.error());
    out.message = std::move(*pm);
  }
  return out;
}

Result<MlsMessage> Group::propose(Proposal p, ByteView authenticated_data) {
  FramedContent fc;
  fc.group_id = st_.context.group_id;
  fc.epoch = st_.context.epoch;
  fc.sender.value = MemberSender{own_leaf().value};
  fc.authenticated_data.assign(authenticated_data.begin(), authenticated_data.end());
  fc.content.value = p;
  const ValidationContext vc{st_.suite, &st_.context, &st_.tree, options_.now};
  if (auto s = validate_proposal(vc, p, fc.sender, st_.context.extensions, false); !s) {
    return fail(s.error());
  }
  const MessageEpoch epoch(*st_.suite, st_.context);
  const WireFormat wf =
      options_.encrypt_handshake ? WireFormat::private_message : WireFormat::public_message;
  auto ac = sign_content(epoch, wf, std::move(fc), signer_);
  if (!ac) return fail(ac.error());
  Bytes ref = proposal_ref(*st_.suite, *ac);
  Sender sender = ac->content.sender;
  auto msg = wrap(*ac);
  if (!msg) return fail(msg.error());
  proposals_.push_back({std::move(ref), std::move(p), std::move(sender)});
  return msg;
}

Result<MlsMessage> Group::propose_update(ByteView authenticated_data) {
  auto leaf = st_.tree.leaf_node(own_leaf());
  if (!leaf) return fail(Errc::invalid_tree);
  KeyPair fresh = st_.suite->generate_hpke_key_pair(rng());
  leaf->encryption_key = fresh.public_key;
  leaf->source.value = UpdateSource{};
  if (auto s = sign_leaf_node(signer_, *leaf, st_.context.group_id, own_leaf().value); !s) {
    return fail(s.error());
  }
  auto msg = propose(Proposal{Update{std::move(*leaf)}}, authenticated_data);
  if (!msg) return fail(msg.error());
  own_updates_.push_back({std::move(fresh.public_key), std::move(fresh.private_key)});
  return msg;
}

Result<CommitOutput> Group::commit(CommitOptions options) {
  const CipherSuite& suite = *st_.suite;
  const LeafIndex own = own_leaf();
  Sender self;
  self.value = MemberSender{own.value};

  // By-value proposals are the caller's explicit choice: an invalid list of them fails the
  // commit. Updates are never sent by value (VAL-CM-01, §12.4).
  for (const Proposal& p : options.proposals) {
    if (std::holds_alternative<Update>(p.value)) return fail(Errc::invalid_proposal);
  }
  const ValidationContext vc{&suite, &st_.context, &st_.tree, options_.now};
  auto chosen = select_cached(vc, proposals_, options.proposals, own);
  if (!chosen) return fail(chosen.error());
  Commit commit;
  for (const CachedProposal* c : *chosen) commit.proposals.push_back(ProposalOrRef{c->ref});
  for (Proposal& p : options.proposals) commit.proposals.push_back(ProposalOrRef{std::move(p)});

  auto resolved = resolve_proposals(commit, self, proposals_);
  if (!resolved) return fail(resolved.error());
  PublicTree tree = st_.tree;
  auto applied = apply_proposals(tree, st_.context.extensions, *resolved);
  if (!applied) return fail(applied.error());
  const bool with_path = applied->path_required || options.force_path;
  // select_cached validated exactly this list, with a path; without one, VAL-CM-10 is left.
  if (!with_path) {
    if (auto s = validate_commit_proposals(vc, *resolved, own, false); !s) return fail(s.error());
  }

  GroupContext next = st_.context;
  next.epoch = st_.context.epoch + 1;
  next.extensions = applied->extensions;
  TreePrivate priv = priv_.clone();
  priv.forget_blank(tree);
  CommitSecret commit_secret = zero_commit_secret(suite);
  if (with_path) {
    auto leaf = tree.leaf_node(own);
    if (!leaf) return fail(Errc::invalid_tree);
    auto created =
        create_update_path(tree, priv, std::move(*leaf), signer_, next, applied->joiners, rng());
    if (!created) return fail(created.error());
    commit.path = std::move(created->path);
    commit_secret = CommitSecret(std::move(created->commit_secret));
  }
  next.tree_hash = tree.root_hash();

  FramedContent fc;
  fc.group_id = st_.context.group_id;
  fc.epoch = st_.context.epoch;
  fc.sender = self;
  fc.authenticated_data = std::move(options.authenticated_data);
  fc.content.value = std::move(commit);
  const MessageEpoch epoch(suite, st_.context);
  const WireFormat wf =
      options_.encrypt_handshake ? WireFormat::private_message : WireFormat::public_message;
  auto ac = sign_content(epoch, wf, std::move(fc), signer_);
  if (!ac) return fail(ac.error());
  next.confirmed_transcript_hash =
      next_confirmed_transcript_hash(suite, st_.interim_transcript_hash, *ac);

  auto psk = psk_secret(applied->psks);
  if (!psk) return fail(psk.error());
  const Bytes encoded_next = encode(next);
  auto ks = run_key_schedule(suite, secrets_.init_secret, commit_secret, *psk, encoded_next);
  Bytes tag =
      confirmation_tag(suite, ks.secrets.confirmation_key.view(), next.confirmed_transcript_hash);
  ac->auth.confirmation_tag = tag;
  Bytes interim = interim_transcript_hash(suite, next.confirmed_transcript_hash,
                                          encode_interim_transcript_hash_input(tag));
  auto msg = wrap(*ac);
  if (!msg) return fail(msg.error());

  auto signer = suite.signing_key(signer_private_.view());
  if (!signer) return fail(signer.error());
  const JoinerSecret joiner_secret(ks.joiner_secret.view());
  const WelcomeSecret welcome_secret(ks.welcome_secret.view());
  Group g(EpochState{&suite, std::move(next), std::move(tree), std::move(interim)}, std::move(priv),
          std::move(ks.secrets), std::move(*signer), signer_private_.clone(), clone_psks(),
          options_);
  g.inherit_resumption_psks(resumption_psks_);
  g.confirmation_tag_ = std::move(tag);
  auto gi = g.group_info(false);
  if (!gi) return fail(gi.error());

  std::optional<Welcome> welcome;
  if (!applied->joiners.empty()) {
    GroupInfo wgi = *gi;
    if (options.ratchet_tree_in_welcome) {
      auto with_tree = g.group_info(true);
      if (!with_tree) return fail(with_tree.error());
      wgi = std::move(*with_tree);
    }
    Welcome w;
    w.cipher_suite = static_cast<std::uint16_t>(suite.id());
    w.encrypted_group_info = seal_group_info(suite, welcome_secret, wgi);
    std::vector<PreSharedKeyID> psk_ids = applied->psks;
    for (std::size_t i = 0; i < applied->joiners.size(); ++i) {
      GroupSecrets gs;
      const ByteView js = joiner_secret.view();
      gs.joiner_secret.assign(js.begin(), js.end());
      gs.psks = psk_ids;
      if (with_path) {
        // §12.4.3.1: the path secret of the lowest node of our filtered direct path that is an
        // ancestor of the joiner (their lowest common ancestor).
        const NodeIndex lca = common_ancestor(to_node(applied->joiners[i]), to_node(own));
        if (const Secret* ps = g.priv_.path_secret(lca)) {
          gs.path_secret = PathSecret{Bytes(ps->view().begin(), ps->view().end())};
        }
      }
      const KeyPackage& kp = applied->added[i];
      auto ct = seal_group_secrets(suite, kp.init_key, w.encrypted_group_info, gs, rng());
      if (!ct) return fail(ct.error());
      w.secrets.push_back({key_package_ref(suite, kp), std::move(*ct)});
    }
    welcome = std::move(w);
  }
  return CommitOutput{std::move(*msg), std::move(welcome), std::move(*gi),
                      StagedCommit(std::move(g), false)};
}

Result<GroupInfo> Group::group_info(bool with_tree) const {
  const CipherSuite& suite = *st_.suite;
  GroupInfo gi;
  gi.group_context = st_.context;
  auto ext = derive_external_key_pair(suite, secrets_.external_secret);
  if (!ext) return fail(ext.error());
  gi.extensions.push_back({kExtExternalPub, encode(ExternalPub{std::move(ext->public_key)})});
  if (with_tree) gi.extensions.push_back({kExtRatchetTree, st_.tree.encode()});
  gi.confirmation_tag = confirmation_tag_;
  gi.signer = own_leaf().value;
  if (auto s = sign_group_info(signer_, gi); !s) return fail(s.error());
  return gi;
}

Result<MlsMessage> Group::protect(ByteView data, ByteView authenticated_data, std::size_t padding) {
  FramedContent fc;
  fc.group_id = st_.context.group_id;
  fc.epoch = st_.context.epoch;
  fc.sender.value = MemberSender{own_leaf().value};
  fc.authenticated_data.assign(authenticated_data.begin(), authenticated_data.end());
  fc.content.value = ApplicationData{Bytes(data.begin(), data.end())};
  const MessageEpoch epoch(*st_.suite, st_.context);
  auto ac = sign_content(epoch, WireFormat::private_message, std::move(fc), signer_);
  if (!ac) return fail(ac.error());
  auto pm = protect_private_message(epoch, *ac, *secret_tree_, secrets_.sender_data_secret, rng(),
                                    padding);
  if (!pm) return fail(pm.error());
  MlsMessage out;
  out.message = std::move(*pm);
  return out;
}

Result<ReceivedApplication> Group::unprotect_application(const MlsMessage& msg) {
  if (!std::holds_alternative<PrivateMessage>(msg.message)) {
    return fail(Errc::invalid_content_type);  // application data only in PrivateMessage (§6)
  }
  if (std::get<PrivateMessage>(msg.message).content_type != ContentType::application) {
    return fail(Errc::invalid_content_type);
  }
  auto ac = unprotect(msg, *secret_tree_);
  if (!ac) return fail(ac.error());
  auto* app = std::get_if<ApplicationData>(&ac->content.content.value);
  if (app == nullptr) return fail(Errc::invalid_content_type);
  return ReceivedApplication{LeafIndex{std::get<MemberSender>(ac->content.sender.value).leaf_index},
                             std::move(app->data), std::move(ac->content.authenticated_data)};
}

}  // namespace conclave::mls

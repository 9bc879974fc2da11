// Persisting a member's Group and a KeyPackageBundle between runs (mls/group/group_state.h).
#include "mls/group/group_state.h"

#include <algorithm>
#include <limits>

#include "mls/group/group.h"
#include "mls/group/proposal_validation.h"
#include "mls/group/welcome_crypto.h"
#include "mls/schedule/transcript_hash.h"

namespace conclave::mls {

namespace {

// While set, the Secret codec writes zeros of the secret's length: the measuring pass of
// encode_state never puts a secret into a buffer that may be reallocated.
thread_local bool t_measuring = false;

class Measuring {
 public:
  Measuring() { t_measuring = true; }
  ~Measuring() { t_measuring = false; }
  Measuring(const Measuring&) = delete;
  Measuring& operator=(const Measuring&) = delete;
};

template <class Body>
Bytes encode_state(const std::array<std::uint8_t, 4>& magic, const Body& body) {
  std::size_t size = 0;
  {
    const Measuring measuring;
    Writer probe;
    probe.write_raw(magic);
    probe.write_uint(kStateFormatVersion);
    write(probe, body);
    size = probe.size();
  }
  // vector::insert (end_vector's length header) does not reallocate within capacity.
  Writer w(size + kStateChecksumSize);
  w.write_raw(magic);
  w.write_uint(kStateFormatVersion);
  write(w, body);
  w.write_raw(state_checksum(w.bytes()));
  return w.take();
}

template <class Body>
Result<Body> decode_state(const std::array<std::uint8_t, 4>& magic, ByteView state) {
  const std::size_t header = magic.size() + 1;
  if (state.size() < header + kStateChecksumSize) return fail(Errc::malformed);
  if (!std::equal(magic.begin(), magic.end(), state.begin())) return fail(Errc::invalid_value);
  if (state[magic.size()] != kStateFormatVersion) return fail(Errc::invalid_value);
  const ByteView covered = state.first(state.size() - kStateChecksumSize);
  if (!ct_equal(state_checksum(covered), state.last(kStateChecksumSize))) {
    return fail(Errc::invalid_value);
  }
  return decode<Body>(covered.subspan(header));
}

Secret copy_secret(ByteView v) { return Secret(v); }

// hpke_key_matches: `private_key` parses and its public key is `public_key`.
bool hpke_key_matches(const CipherSuite& suite, const Secret& private_key, ByteView public_key) {
  const auto pub = suite.hpke_public_key(private_key.view());
  return pub && same(*pub, public_key);
}

}  // namespace

Bytes state_checksum(ByteView prefix) {
  // The hash of suite 0x0001 is SHA-256, whatever the state's own suite.
  return (*CipherSuite::get(CipherSuiteId::mls_128_dhkemx25519_aes128gcm_sha256_ed25519))
      ->hash(prefix);
}

void write(Writer& w, const Secret& s) {
  w.write_varint(s.size());
  if (t_measuring) {
    for (std::size_t i = 0; i < s.size(); ++i) w.write_uint(std::uint8_t{0});
  } else {
    w.write_raw(s.view());
  }
}

bool read(Reader& r, Secret& s) {
  Reader body;
  if (!r.read_vector(body)) return false;
  ByteView v;
  body.read_raw(body.remaining(), v);
  s = Secret(v);
  return true;
}

// --- KeyPackageBundle ---------------------------------------------------------------------

Result<Bytes> KeyPackageBundle::serialize() const {
  KeyPackageBundleBody body{key_package, secrets.init_private_key.clone(),
                            secrets.encryption_private_key.clone(),
                            secrets.signature_private_key.clone()};
  return encode_state(kBundleStateMagic, body);
}

Result<KeyPackageBundle> KeyPackageBundle::restore(ByteView state) {
  auto body = decode_state<KeyPackageBundleBody>(kBundleStateMagic, state);
  if (!body) return fail(body.error());
  auto suite = CipherSuite::get(body->key_package.cipher_suite);
  if (!suite) return fail(suite.error());
  const KeyPackage& kp = body->key_package;
  // The private keys must be those of the KeyPackage: a mismatch would only show up as a
  // Welcome that cannot be opened, or as a leaf we cannot sign for.
  if (!hpke_key_matches(**suite, body->init_private_key, kp.init_key) ||
      !hpke_key_matches(**suite, body->encryption_private_key, kp.leaf_node.encryption_key)) {
    return fail(Errc::invalid_key);
  }
  auto signer = (*suite)->signing_key(body->signature_private_key.view());
  if (!signer) return fail(signer.error());
  if (signer->public_key() != kp.leaf_node.signature_key) return fail(Errc::invalid_key);
  return KeyPackageBundle{
      std::move(body->key_package),
      KeyPackageSecrets{std::move(body->init_private_key), std::move(body->encryption_private_key),
                        std::move(body->signature_private_key)}};
}

// --- Group --------------------------------------------------------------------------------

Result<Bytes> Group::serialize() const {
  GroupStateBody body;
  body.context = st_.context;
  body.tree = st_.tree.encode();
  body.interim_transcript_hash = st_.interim_transcript_hash;
  body.confirmation_tag = confirmation_tag_;
  body.tree_private.own_leaf = priv_.own_leaf().value;
  body.tree_private.leaf_private_key = priv_.leaf_private_key().clone();
  for (const NodeIndex x : priv_.held()) {
    body.tree_private.path_secrets.push_back({x.value, priv_.path_secret(x)->clone()});
  }
  EpochSecretsState& es = body.epoch_secrets;
  es.sender_data_secret = copy_secret(secrets_.sender_data_secret.view());
  es.encryption_secret = copy_secret(secrets_.encryption_secret.view());
  es.exporter_secret = copy_secret(secrets_.exporter_secret.view());
  es.external_secret = copy_secret(secrets_.external_secret.view());
  es.confirmation_key = copy_secret(secrets_.confirmation_key.view());
  es.membership_key = copy_secret(secrets_.membership_key.view());
  es.resumption_psk = copy_secret(secrets_.resumption_psk.view());
  es.epoch_authenticator = copy_secret(secrets_.epoch_authenticator.view());
  es.init_secret = copy_secret(secrets_.init_secret.view());
  body.secret_tree = secret_tree_->export_state();
  body.signature_private_key = signer_private_.clone();
  for (const auto& [id, psk] : psks_) body.psks.push_back({id, psk.clone()});
  for (const CachedProposal& c : proposals_) {
    body.proposals.push_back({c.ref, c.proposal, c.sender});
  }
  for (const PendingUpdate& u : own_updates_) {
    body.own_updates.push_back({u.encryption_key, u.private_key.clone()});
  }
  for (const auto& [epoch, psk] : resumption_psks_) {
    body.resumption_psks.push_back({epoch, psk.clone()});
  }
  body.encrypt_handshake = options_.encrypt_handshake;
  return encode_state(kGroupStateMagic, body);
}

Result<Group> Group::restore(ByteView state, GroupOptions options) {
  auto decoded = decode_state<GroupStateBody>(kGroupStateMagic, state);
  if (!decoded) return fail(decoded.error());
  GroupStateBody& body = *decoded;
  GroupContext& gc = body.context;
  if (gc.version != kProtocolVersionMls10) return fail(Errc::invalid_value);
  auto suite_found = CipherSuite::get(gc.cipher_suite);
  if (!suite_found) return fail(suite_found.error());
  const CipherSuite& suite = **suite_found;
  const std::size_t nh = suite.hash_size();

  // Public state: the tree must hash to the context's tree_hash.
  auto tree = PublicTree::decode(suite, body.tree);
  if (!tree) return fail(tree.error());
  if (!same(tree->root_hash(), gc.tree_hash)) return fail(Errc::tree_hash_mismatch);

  // Epoch secrets: every one Nh bytes (§8), and the stored confirmation tag must be the one
  // their confirmation_key gives over the context's transcript (§8.1), which ties the secrets
  // to the context; the interim hash follows from both (§8.2).
  EpochSecretsState& es = body.epoch_secrets;
  for (const Secret* s : {&es.sender_data_secret, &es.encryption_secret, &es.exporter_secret,
                          &es.external_secret, &es.confirmation_key, &es.membership_key,
                          &es.resumption_psk, &es.epoch_authenticator, &es.init_secret}) {
    if (s->size() != nh) return fail(Errc::invalid_value);
  }
  const Bytes tag =
      confirmation_tag(suite, es.confirmation_key.view(), gc.confirmed_transcript_hash);
  if (!ct_equal(tag, body.confirmation_tag)) return fail(Errc::bad_confirmation_tag);
  const Bytes interim = interim_transcript_hash(suite, gc.confirmed_transcript_hash,
                                                encode_interim_transcript_hash_input(tag));
  if (!same(interim, body.interim_transcript_hash)) return fail(Errc::invalid_value);

  // Private tree keys: path secrets re-derive their key pairs; the whole must fit the tree.
  TreePrivateState& tp = body.tree_private;
  const LeafIndex own{tp.own_leaf};
  if (!contains(tree->leaf_count(), own) || tree->blank(own)) return fail(Errc::invalid_value);
  TreePrivate priv(own, std::move(tp.leaf_private_key));
  for (PathSecretState& p : tp.path_secrets) {
    const NodeIndex x{p.node};
    if (p.path_secret.size() != nh || !contains(tree->leaf_count(), x) ||
        priv.path_secret(x) != nullptr) {
      return fail(Errc::invalid_value);
    }
    if (auto s = priv.set_path_secret(suite, x, std::move(p.path_secret)); !s) {
      return fail(s.error());
    }
  }
  if (auto s = priv.check_consistent(*tree); !s) return fail(s.error());

  auto signer = suite.signing_key(body.signature_private_key.view());
  if (!signer) return fail(signer.error());
  if (!same(signer->public_key(), leaf_signature_key(*tree, own))) return fail(Errc::invalid_key);

  PskStore psks;
  for (PskState& p : body.psks) {
    if (!psks.emplace(std::move(p.psk_id), std::move(p.psk)).second) {
      return fail(Errc::invalid_value);
    }
  }

  auto secret_tree =
      SecretTree::import_state(suite, tree->leaf_count(), std::move(body.secret_tree));
  if (!secret_tree) return fail(secret_tree.error());
  // The secret tree's root is the epoch's encryption_secret; it cannot be compared once split,
  // so a tree from another epoch is caught by its leaf count only. Application keys derived
  // from a wrong tree fail to decrypt (AEAD), never silently succeed.

  EpochSecrets secrets{
      .sender_data_secret = SenderDataSecret(std::move(es.sender_data_secret)),
      .encryption_secret = EncryptionSecret(std::move(es.encryption_secret)),
      .exporter_secret = ExporterSecret(std::move(es.exporter_secret)),
      .external_secret = ExternalSecret(std::move(es.external_secret)),
      .confirmation_key = ConfirmationKey(std::move(es.confirmation_key)),
      .membership_key = MembershipKey(std::move(es.membership_key)),
      .resumption_psk = ResumptionPsk(std::move(es.resumption_psk)),
      .epoch_authenticator = EpochAuthenticator(std::move(es.epoch_authenticator)),
      .init_secret = InitSecret(std::move(es.init_secret)),
  };
  options.encrypt_handshake = body.encrypt_handshake;
  const std::uint64_t epoch = gc.epoch;
  EpochState st{&suite, std::move(gc), std::move(*tree), std::move(body.interim_transcript_hash)};
  Group g(std::move(st), std::move(priv), std::move(secrets), std::move(*signer),
          std::move(body.signature_private_key), std::move(psks), options);
  g.secret_tree_ = std::make_unique<SecretTree>(std::move(*secret_tree));
  g.confirmation_tag_ = std::move(body.confirmation_tag);

  // Cached proposals: references are RefHash outputs (§5.2), senders must be able to send.
  for (CachedProposalState& c : body.proposals) {
    if (c.ref.size() != nh) return fail(Errc::invalid_value);
    g.proposals_.push_back({std::move(c.ref), std::move(c.proposal), std::move(c.sender)});
  }
  for (PendingUpdateState& u : body.own_updates) {
    if (!hpke_key_matches(suite, u.private_key, u.encryption_key)) return fail(Errc::invalid_key);
    g.own_updates_.push_back({std::move(u.encryption_key), std::move(u.private_key)});
  }
  // Resumption PSKs of this and earlier epochs. A Group always holds this epoch's, equal to the
  // epoch secrets' own (the constructor already added it): a missing or different one means
  // the context's epoch does not belong to these secrets.
  bool has_current = false;
  for (ResumptionPskState& r : body.resumption_psks) {
    if (r.epoch > epoch || r.psk.size() != nh) return fail(Errc::invalid_value);
    if (r.epoch == epoch) {
      if (has_current || !ct_equal(r.psk.view(), g.secrets_.resumption_psk.view())) {
        return fail(Errc::invalid_value);
      }
      has_current = true;
      continue;
    }
    if (!g.resumption_psks_.emplace(r.epoch, std::move(r.psk)).second) {
      return fail(Errc::invalid_value);
    }
  }
  if (!has_current) return fail(Errc::invalid_value);
  return g;
}

}  // namespace conclave::mls

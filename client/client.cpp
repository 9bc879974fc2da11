#include "client/client.h"

#include <algorithm>
#include <set>

#include "client/client_room.h"
#include "client/fingerprint.h"
#include "mls/codec/codec.h"
#include "mls/codec/hex.h"
#include "mls/crypto/commit_chain.h"
#include "mls/group/extensions.h"
#include "mls/group/welcome_crypto.h"
#include "xmpp/jid.h"
#include "xmpp/stanza.h"

namespace conclave::client {

using xmpp::Element;

namespace {

constexpr auto kSuiteId = mls::CipherSuiteId::mls_128_dhkemx25519_aes128gcm_sha256_ed25519;
constexpr std::size_t kOwnIdsKept = 64;

std::uint64_t unix_now() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

mls::Bytes wrap_message(auto body) {
  mls::MlsMessage m;
  m.message = std::move(body);
  return mls::encode(m);
}

}  // namespace

std::string identity_of(const mls::LeafNode& leaf) {
  if (const auto* b = std::get_if<mls::BasicCredential>(&leaf.credential.value)) {
    return std::string(b->identity.begin(), b->identity.end());
  }
  return {};
}

std::string device_of(const mls::LeafNode& leaf) {
  const mls::Extension* ext = mls::find_extension(leaf.extensions, mls::kExtApplicationId);
  if (ext == nullptr) return {};
  auto id = mls::decode<mls::Bytes>(ext->extension_data);
  return id ? std::string(id->begin(), id->end()) : std::string();
}

Client::Client(Transport& transport, AccountStore store, ClientOptions options, mls::Secret sig_key,
               std::string bare_jid)
    : transport_(transport),
      store_(std::move(store)),
      options_(std::move(options)),
      signature_key_(std::move(sig_key)),
      bare_jid_(std::move(bare_jid)),
      suite_(*mls::CipherSuite::get(kSuiteId)) {}

Client::~Client() = default;

Result<std::unique_ptr<Client>> Client::open(Transport& transport, AccountStore store,
                                             ClientOptions options) {
  auto jid = xmpp::Jid::parse(transport.jid());
  if (!jid || jid->node().empty()) return fail(Errc::invalid_request);
  if (options.service.empty()) options.service = "mls." + jid->domain();
  if (options.nick.empty()) options.nick = jid->node();
  const mls::CipherSuite& suite = **mls::CipherSuite::get(kSuiteId);

  auto key = store.load_signature_key();
  if (!key) return fail(key.error());
  mls::Secret sig;
  const bool fresh = !*key;
  if (*key) {
    sig = std::move(**key);
  } else {
    sig = suite.generate_signature_key_pair().private_key;
    if (auto s = store.save_signature_key(sig); !s) return fail(s.error());
  }
  auto signer = suite.signing_key(sig.view());
  if (!signer) return fail(Errc::state_corrupt);

  std::unique_ptr<Client> c(new Client(transport, std::move(store), std::move(options),
                                       std::move(sig), jid->bare_string()));
  c->signature_public_ = signer->public_key();
  c->fresh_ = fresh;
  std::uint8_t prefix[6];
  c->rng().fill(prefix);
  c->id_prefix_ = mls::to_hex(prefix);

  auto kps = c->store_.load_key_packages();
  if (!kps) return fail(kps.error());
  c->key_packages_ = std::move(*kps);
  auto left = c->store_.load_left_rooms();
  if (!left) return fail(left.error());
  c->left_.insert(left->begin(), left->end());
  auto rooms = c->store_.load_rooms();
  if (!rooms) return fail(rooms.error());
  for (RoomRecord& rec : *rooms) {
    auto r = std::make_unique<Room>();
    if (rec.group) {
      auto g = mls::Group::restore(*rec.group, c->group_options());
      mls::secure_wipe(rec.group->data(), rec.group->size());
      if (!g) return fail(Errc::state_corrupt);
      r->group.emplace(std::move(*g));
    }
    rec.group.reset();
    r->record = std::move(rec);
    const std::string name = r->record.room;
    c->rooms_.emplace(name, std::move(r));
  }
  return c;
}

mls::Rng& Client::rng() const {
  return options_.rng != nullptr ? *options_.rng : mls::system_rng();
}

mls::GroupOptions Client::group_options() const {
  mls::GroupOptions o;
  o.rng = options_.rng;
  return o;
}

std::string Client::own_fingerprint() const { return fingerprint(*suite_, signature_public_); }

std::string Client::new_id() { return id_prefix_ + "-" + std::to_string(++next_id_); }

void Client::emit(Event e) { events_.push_back(std::move(e)); }

std::vector<Event> Client::take_events() { return std::exchange(events_, {}); }

Result<mls::KeyPackageBundle> Client::new_bundle(
    std::optional<std::chrono::seconds> lifetime_override) const {
  mls::Credential cred;
  cred.value = mls::BasicCredential{mls::Bytes(bare_jid_.begin(), bare_jid_.end())};
  const std::uint64_t now = unix_now();
  const auto lifetime =
      static_cast<std::uint64_t>(lifetime_override.value_or(options_.key_package_lifetime).count());
  // The device's name as the leaf's application_id (RFC 9420 §5.3.3; docs/protocol.md §6.1).
  std::vector<mls::Extension> leaf_ext{
      {mls::kExtApplicationId,
       mls::encode(mls::Bytes(options_.device.begin(), options_.device.end()))}};
  // A little slack before `now` for servers whose clock is behind ours.
  auto b = mls::make_key_package(*suite_, cred, signature_key_.clone(), rng(),
                                 mls::Lifetime{now - 3600, now + lifetime}, std::move(leaf_ext));
  if (!b) return fail(b.error());
  return std::move(*b);
}

Result<Element> Client::request(Element iq) {
  auto reply = transport_.request(std::move(iq), options_.timeout);
  if (!reply) return fail(reply.error());
  if (auto err = parse_service_error(*reply)) last_error_ = std::move(*err);
  return reply;
}

Result<const Element*> Client::expect(const Element& reply, std::string_view name) {
  auto p = mls_payload(reply, name);
  if (!p && p.error() == make_error_code(Errc::stanza_error)) {
    last_error_ = parse_service_error(reply);
    if (last_error_ && last_error_->app_condition == "wrong-epoch") return fail(Errc::wrong_epoch);
  }
  return p;
}

Client::Room& Client::room_state(const std::string& room) {
  auto it = rooms_.find(room);
  if (it == rooms_.end()) {
    auto r = std::make_unique<Room>();
    r->record.room = room;
    r->record.nick = options_.nick;
    it = rooms_.emplace(room, std::move(r)).first;
  }
  return *it->second;
}

Client::Room* Client::find_room(const std::string& room) {
  auto it = rooms_.find(room);
  return it == rooms_.end() ? nullptr : it->second.get();
}

const Client::Room* Client::find_room(const std::string& room) const {
  auto it = rooms_.find(room);
  return it == rooms_.end() ? nullptr : it->second.get();
}

Status Client::save(Room& r) {
  if (r.group) {
    auto bytes = r.group->serialize();
    if (!bytes) return fail(bytes.error());
    r.record.group = std::move(*bytes);
  }
  auto s = store_.save_room(r.record);
  if (s && r.record.group && left_.count(r.record.room) != 0) {
    // In the group again (invited back, or joined on purpose): no longer a room we left.
    s = store_.clear_left(r.record.room);
    if (s) left_.erase(r.record.room);
  }
  if (r.record.group) {
    mls::secure_wipe(r.record.group->data(), r.record.group->size());
    r.record.group.reset();
  }
  return s;
}

std::optional<std::uint64_t> Client::epoch(const std::string& room) const {
  const Room* r = find_room(room);
  if (r == nullptr || !r->group) return std::nullopt;
  return r->group->epoch();
}

bool Client::has_group(const std::string& room) const { return epoch(room).has_value(); }

std::optional<std::string> Client::chain_hash(const std::string& room) const {
  const Room* r = find_room(room);
  if (r == nullptr || !r->group || !r->record.chain) return std::nullopt;
  return mls::to_hex(*r->record.chain);
}

std::string Client::chain_hex(const Room& r) const {
  return r.record.chain ? mls::to_hex(*r.record.chain) : std::string();
}

void Client::check_chain(Room& r, const std::optional<mls::Bytes>& served) {
  if (!served || !r.record.chain || *served == *r.record.chain) return;
  // Not secret: compared in plain time. Both values go into the event for whoever investigates.
  emit({"chain-mismatch", r.record.room, options_.service, "", "",
        r.group ? std::optional(r.group->epoch()) : std::nullopt,
        "service " + mls::to_hex(*served) + ", ours " + mls::to_hex(*r.record.chain)});
}

void Client::follow_chain(Room& r, mls::ByteView commit, const std::optional<mls::Bytes>& served) {
  if (!r.record.chain) {
    // We never knew where the chain stood (state written before it existed): start from the
    // service's word, the only one there is, and check every commit after this one.
    r.record.chain = served;
    return;
  }
  r.record.chain = mls::commit_chain_next(*suite_, *r.record.chain, suite_->hash(commit));
  check_chain(r, served);
}

std::vector<std::string> Client::rooms() const {
  std::vector<std::string> out;
  for (const auto& [name, r] : rooms_) out.push_back(name);
  return out;
}

Status Client::start() {
  transport_.send(Element("presence", std::string(ns::kClient)));
  if (fresh_) {
    // A new state directory under an old device name (a reinstall): the packages that install
    // left on the service have secrets nobody holds any more; a Welcome for one could never be
    // opened (docs/protocol.md §6.3).
    auto gone = delete_key_packages({}, options_.device);
    if (!gone) return fail(gone.error());
  }
  if (auto r = refresh_key_packages(); !r) return fail(r.error());
  auto n = replenish_key_packages();
  if (!n) return fail(n.error());
  maintained_ = std::chrono::steady_clock::now();
  if (fresh_) {
    // A new device of an existing member, or a reinstalled one: into every room of the account
    // without anyone else online (docs/protocol.md §6.13).
    if (auto j = join_own_rooms(); !j) return fail(j.error());
    return {};
  }
  // What the server kept for us while offline came in right after our presence, before the
  // answers above: Welcomes among it are used first. A room that still holds a leaf of this
  // device without our having its group was joined while we were offline and its one
  // Welcome, sent to the bare JID, went to another device of ours (docs/protocol.md §6.13).
  if (auto p = pump(std::chrono::milliseconds(0)); !p) return fail(p.error());
  if (auto j = join_own_rooms(true); !j) return fail(j.error());
  return {};
}

// --- key packages --------------------------------------------------------------------------------

Result<KeyPackageCount> Client::key_package_count() {
  auto reply = request(key_packages_count_request(options_.service, options_.device));
  if (!reply) return fail(reply.error());
  if (auto p = expect(*reply, "key-packages"); !p) return fail(p.error());
  return parse_key_package_count(*reply);
}

Result<std::size_t> Client::delete_key_packages(const std::vector<mls::Bytes>& refs,
                                                std::optional<std::string> device) {
  auto reply = request(delete_key_packages_request(
      options_.service, refs,
      device ? std::optional<std::string_view>(*device) : std::optional<std::string_view>()));
  if (!reply) return fail(reply.error());
  auto p = expect(*reply, "delete-key-packages");
  if (!p) return fail(p.error());
  auto n = parse_epoch_attr(**p, "deleted");
  if (!n) return fail(n.error());
  return static_cast<std::size_t>(*n);
}

Result<bool> Client::maintain_key_packages() {
  const auto now = std::chrono::steady_clock::now();
  if (now - maintained_ < options_.key_package_check) return false;
  maintained_ = now;
  const Status done = [this]() -> Status {
    if (auto r = refresh_key_packages(); !r) return fail(r.error());
    if (auto n = replenish_key_packages(); !n) return fail(n.error());
    return {};
  }();
  if (!done) {
    emit({"error", "", "", "", "", std::nullopt, "key packages: " + done.error().message()});
    return fail(done.error());
  }
  return true;
}

Result<std::size_t> Client::refresh_key_packages() {
  const std::uint64_t now = unix_now();
  const auto margin = static_cast<std::uint64_t>(options_.key_package_refresh.count());
  std::vector<mls::Bytes> ending;
  for (auto it = key_packages_.begin(); it != key_packages_.end();) {
    const auto* src =
        std::get_if<mls::KeyPackageSource>(&it->bundle.key_package.leaf_node.source.value);
    const std::uint64_t not_after = src != nullptr ? src->lifetime.not_after : 0;
    if (not_after < now) {
      // Expired: the service never hands it out again, so no Welcome can come for it.
      (void)store_.remove_key_package(it->ref, it->last_resort);
      it = key_packages_.erase(it);
      continue;
    }
    if (not_after < now + margin) ending.push_back(it->ref);
    ++it;
  }
  if (ending.empty()) return std::size_t{0};
  // Only the service's copies go now: a package claimed just before keeps its secrets here
  // until it expires, so its Welcome can still be opened. The replenish that follows uploads
  // fresh ones (a last-resort package replaces the old one when none is left).
  auto n = delete_key_packages(ending, std::nullopt);
  if (!n) return fail(n.error());
  return ending.size();
}

Result<std::size_t> Client::publish_key_packages(std::size_t n, bool last_resort,
                                                 std::optional<std::chrono::seconds> lifetime) {
  std::vector<StoredKeyPackage> fresh;
  std::vector<KeyPackageUpload> uploads;
  for (std::size_t i = 0; i < n + (last_resort ? 1 : 0); ++i) {
    auto b = new_bundle(lifetime);
    if (!b) return fail(b.error());
    StoredKeyPackage kp{mls::key_package_ref(*suite_, b->key_package), i == n, std::move(*b)};
    uploads.push_back({wrap_message(kp.bundle.key_package), kp.last_resort});
    fresh.push_back(std::move(kp));
  }
  // The secrets are on disk before the service can hand the package out: a Welcome can only
  // arrive for a package whose keys survive a crash.
  auto undo = [&] {
    for (const StoredKeyPackage& kp : fresh)
      (void)store_.remove_key_package(kp.ref, kp.last_resort);
  };
  for (const StoredKeyPackage& kp : fresh) {
    if (auto s = store_.save_key_package(kp); !s) {
      undo();
      return fail(s.error());
    }
  }
  auto reply = request(key_packages_upload(options_.service, uploads));
  if (!reply) {
    // On a timeout the service may still have stored them: keep the secrets.
    if (reply.error() != make_error_code(Errc::timeout)) undo();
    return fail(reply.error());
  }
  auto p = expect(*reply, "key-packages");
  if (!p) {
    undo();  // the upload is all or nothing (docs/protocol.md §4)
    return fail(p.error());
  }
  std::size_t stored = fresh.size();
  if (auto v = parse_epoch_attr(**p, "stored")) stored = static_cast<std::size_t>(*v);
  for (StoredKeyPackage& kp : fresh) key_packages_.push_back(std::move(kp));
  return stored;
}

Result<std::size_t> Client::replenish_key_packages() {
  auto count = key_package_count();
  if (!count) return fail(count.error());
  const std::size_t missing =
      count->count < options_.key_package_low ? options_.key_package_target - count->count : 0;
  if (missing == 0 && count->last_resort) return std::size_t{0};
  return publish_key_packages(missing, !count->last_resort);
}

// --- rooms
// -----------------------------------------------------------------------------------------

Result<Element> Client::wait_for(const std::function<bool(const Element&)>& pred,
                                 std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return fail(Errc::timeout);
    auto s = transport_.poll(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now));
    if (!s) return fail(s.error());
    if (!*s) continue;
    handle(**s);
    if (pred(**s)) return std::move(**s);
  }
}

void Client::advance(Room& r, mls::Group next) {
  if (r.group && next.epoch() == r.group->epoch() + 1) {
    r.past.push_front(std::move(*r.group));
    while (r.past.size() > kPastEpochs) r.past.pop_back();
  } else {
    r.past.clear();  // a new lineage (created, joined, resynced): nothing to read in it
  }
  r.group.emplace(std::move(next));
}

Status Client::enter(const std::string& room) {
  Room& r = room_state(room);
  const std::string occupant = room + "/" + r.record.nick;
  transport_.send(muc_join(room, r.record.nick));
  auto p = wait_for(
      [&](const Element& s) {
        if (s.name() != "presence") return false;
        const std::string_view from = s.attr_or("from");
        if (xmpp::is_error_stanza(s)) return from == occupant || from == room;
        const auto codes = muc_status_codes(s);
        return from == occupant && std::find(codes.begin(), codes.end(), 110) != codes.end();
      },
      options_.timeout);
  if (!p) return fail(p.error());
  if (xmpp::is_error_stanza(*p)) {
    last_error_ = parse_service_error(*p);
    return fail(Errc::stanza_error);
  }
  const auto codes = muc_status_codes(*p);
  if (std::find(codes.begin(), codes.end(), 201) != codes.end()) {
    // XEP-0045 §10.1.2: a new room stays locked until its owner accepts a configuration.
    auto reply = request(room_config(room));
    if (!reply) return fail(reply.error());
    if (xmpp::iq_type_of(*reply) != xmpp::IqType::result) return fail(Errc::stanza_error);
  }
  r.joined = true;
  return save(r);
}

Result<std::uint64_t> Client::create(const std::string& room, bool open) {
  if (has_group(room)) return fail(Errc::group_exists);
  if (!find_room(room) || !find_room(room)->joined) {
    if (auto s = enter(room); !s) return fail(s.error());
  }
  // The room as a group needs it, before the group exists: persistent, and members-only unless
  // asked otherwise (docs/protocol.md BR-12; client/README.md). An admin who is not an owner
  // may not configure (§10.2: owners only); the service still keeps the room for its group.
  if (auto reply = request(room_config(room, !open)); !reply) {
    return fail(reply.error());
  } else if (xmpp::iq_type_of(*reply) != xmpp::IqType::result) {
    last_error_ = parse_service_error(*reply);
    if (!last_error_ || last_error_->condition != "forbidden") return fail(Errc::stanza_error);
  }
  // docs/protocol.md §3: the service's ExternalSender goes into external_senders.
  auto es_reply = request(external_sender_request(options_.service));
  if (!es_reply) return fail(es_reply.error());
  auto es = expect(*es_reply, "external-sender");
  if (!es) return fail(es.error());
  auto es_bytes = mls_bytes(**es);
  if (!es_bytes) return fail(es_bytes.error());
  auto sender = mls::decode<mls::ExternalSenderEntry>(*es_bytes);
  if (!sender) return fail(Errc::bad_response);
  std::vector<mls::Extension> exts{
      {mls::kExtExternalSenders, mls::encode(std::vector<mls::ExternalSenderEntry>{*sender})}};

  auto bundle = new_bundle();
  if (!bundle) return fail(bundle.error());
  mls::Bytes group_id(16);
  rng().fill(group_id);
  auto g =
      mls::Group::create(*suite_, std::move(group_id), *bundle, std::move(exts), group_options());
  if (!g) return fail(g.error());
  auto gi = g->group_info(false);
  if (!gi) return fail(gi.error());
  auto reply = request(create_request(room, wrap_message(*gi), g->tree().encode()));
  if (!reply) return fail(reply.error());
  auto accepted = expect(*reply, "accepted");
  if (!accepted) return fail(accepted.error());
  auto served = parse_chain_attr(**accepted);
  if (!served) return fail(served.error());
  Room& r = room_state(room);
  r.group.emplace(std::move(*g));
  r.record.chain = mls::commit_chain_genesis(*suite_);
  check_chain(r, *served);
  if (auto s = save(r); !s) return fail(s.error());
  emit({"created", room, bare_jid_, r.record.nick, "", 0, "", chain_hex(r)});
  return std::uint64_t{0};
}

Result<std::uint64_t> Client::commit_change(Room& r_in, const BuildCommit& build,
                                            std::string summary) {
  const std::string room_name = r_in.record.room;
  for (int attempt = 0; attempt <= options_.max_commit_retries; ++attempt) {
    Room* found = find_room(room_name);
    if (found == nullptr || !found->group) return fail(Errc::no_group);
    Room& r = *found;
    if (!r.joined) {
      // docs/protocol.md §6.7: members commit as occupants. Out of the room (it restarted,
      // failed over, or we left), read what was said meanwhile before moving the group on:
      // messages of the epochs our commit ends could no longer be read after it.
      if (auto s = enter(room_name); !s) return fail(s.error());
      if (auto s = fill_gap(room_name); !s) return fail(s.error());
      continue;
    }
    auto opts = build(*r.group);
    if (!opts) return fail(opts.error());
    auto out = r.group->commit(std::move(*opts));
    if (!out) return fail(out.error());
    const mls::Bytes commit = mls::encode(out->message);
    std::optional<mls::Bytes> welcome;
    if (out->welcome) welcome = wrap_message(*out->welcome);
    const mls::Bytes gi = wrap_message(out->group_info);
    auto make = [&] {
      return commit_request(r.record.room, commit,
                            welcome ? std::optional<mls::ByteView>(*welcome) : std::nullopt, gi);
    };
    auto reply = request(make());
    // docs/protocol.md §5: a byte-identical commit gets the original answer, so resending after
    // a lost answer is safe.
    if (!reply && reply.error() == make_error_code(Errc::timeout)) reply = request(make());
    if (!reply) return fail(reply.error());
    auto accepted = expect(*reply, "accepted");
    if (accepted) {
      if (out->staged.removes_self()) return fail(Errc::bad_response);
      auto served = parse_chain_attr(**accepted);
      if (!served) return fail(served.error());
      advance(r, std::move(out->staged).merge());
      follow_chain(r, commit, *served);
      if (auto s = save(r); !s) return fail(s.error());
      emit({"commit", r.record.room, bare_jid_, r.record.nick, "", r.group->epoch(), summary,
            chain_hex(r)});
      read_waiting(room_name);
      Room* after = find_room(room_name);
      if (after == nullptr || !after->group) return fail(Errc::no_group);
      return after->group->epoch();
    }
    if (accepted.error() == make_error_code(Errc::stanza_error) && last_error_ &&
        last_error_->condition == "not-acceptable" && last_error_->app_condition.empty()) {
      // XEP-0410 §3: the room no longer counts us as an occupant; enter again (above).
      r.joined = false;
      continue;
    }
    if (accepted.error() != make_error_code(Errc::wrong_epoch)) return fail(accepted.error());
    // The commit race (§5): somebody else's commit won this epoch. Apply what we missed and
    // rebuild ours on top of it.
    auto synced = fill_gap(room_name);
    if (!synced) return fail(synced.error());
  }
  return fail(Errc::retries_exhausted);
}

Result<std::uint64_t> Client::invite(const std::string& room, const std::string& jid,
                                     std::optional<WelcomeTree> tree) {
  Room* r = find_room(room);
  if (r == nullptr || !r->group) return fail(Errc::no_group);
  if (!r->joined) {  // the invitation comes from an occupant (§7.8.2)
    if (auto s = enter(room); !s) return fail(s.error());
    if (auto s = fill_gap(room); !s) return fail(s.error());
    r = find_room(room);
    if (r == nullptr || !r->group) return fail(Errc::no_group);
  }
  // Sent before the commit on the same stream, so the room handles it first: in a members-only
  // room the invitee is a member by the time the service checks the Add (BR-1). A refused
  // invitation (not allowed to invite) shows as the commit's refusal.
  transport_.send(muc_invitation(room, jid));
  auto reply = request(claim_request(options_.service, jid));
  if (!reply) return fail(reply.error());
  if (auto p = expect(*reply, "key-packages"); !p) return fail(p.error());
  auto claimed = parse_claim_reply(*reply);
  if (!claimed) return fail(claimed.error());
  // One package per device of `jid` (docs/protocol.md §6.4): one commit adds them all.
  std::vector<mls::KeyPackage> kps;
  std::vector<std::string> devices;
  for (const ClaimedKeyPackage& c : *claimed) {
    auto msg = mls::decode<mls::MlsMessage>(c.message);
    if (!msg || !std::holds_alternative<mls::KeyPackage>(msg->message)) {
      return fail(Errc::bad_response);
    }
    mls::KeyPackage kp = std::get<mls::KeyPackage>(msg->message);
    // The service checks this too; a client must not trust the service for whom it adds.
    if (identity_of(kp.leaf_node) != jid) return fail(Errc::bad_response);
    const std::string device = device_of(kp.leaf_node);
    if (std::find(devices.begin(), devices.end(), device) != devices.end()) {
      return fail(Errc::bad_response);
    }
    devices.push_back(device);
    kps.push_back(std::move(kp));
  }
  return commit_change(
      *r,
      [&](const mls::Group& g) -> Result<mls::CommitOptions> {
        mls::CommitOptions o;
        for (const mls::KeyPackage& kp : kps) {
          // A device that already holds a leaf (it joined by itself) is not added twice
          // (BR-13).
          bool present = false;
          for (mls::LeafIndex l : g.tree().non_blank_leaves()) {
            auto leaf = g.tree().leaf_node(l);
            present = present || (leaf && identity_of(*leaf) == jid &&
                                  device_of(*leaf) == device_of(kp.leaf_node));
          }
          if (!present) o.proposals.push_back(mls::Proposal{mls::Add{kp}});
        }
        if (o.proposals.empty()) return fail(Errc::group_exists);
        // A large tree makes the commit IQ exceed the servers' stanza limit (the stream is
        // closed); the joiner then takes it from the service (client_receive.cpp).
        const WelcomeTree mode = tree.value_or(options_.welcome_tree);
        o.ratchet_tree_in_welcome =
            tree_in_welcome(mode, mode == WelcomeTree::automatic ? g.tree().encoded_size() : 0);
        return o;
      },
      "add " + jid);
}

Result<std::uint64_t> Client::remove(const std::string& room, const std::string& jid) {
  Room* r = find_room(room);
  if (r == nullptr || !r->group) return fail(Errc::no_group);
  return commit_change(
      *r,
      [&](const mls::Group& g) -> Result<mls::CommitOptions> {
        // Leaves are looked up again on every attempt: a commit that won the race may have
        // moved or removed them.
        mls::CommitOptions o;
        for (mls::LeafIndex l : g.tree().non_blank_leaves()) {
          auto leaf = g.tree().leaf_node(l);
          if (leaf && identity_of(*leaf) == jid && l != g.own_leaf()) {
            o.proposals.push_back(mls::Proposal{mls::Remove{l.value}});
          }
        }
        if (o.proposals.empty()) return fail(Errc::unknown_member);
        return o;
      },
      "remove " + jid);
}

Result<std::uint64_t> Client::update(const std::string& room) {
  Room* r = find_room(room);
  if (r == nullptr || !r->group) return fail(Errc::no_group);
  return commit_change(
      *r, [](const mls::Group&) -> Result<mls::CommitOptions> { return mls::CommitOptions{}; },
      "update");
}

Status Client::leave(const std::string& room) {
  Room* r = find_room(room);
  if (r == nullptr) return fail(Errc::no_group);
  if (r->joined) transport_.send(muc_leave(room, r->record.nick));
  if (auto s = store_.mark_left(room); !s) return fail(s.error());
  left_.insert(room);
  if (auto s = store_.remove_room(room); !s) return fail(s.error());
  rooms_.erase(room);
  emit({"left", room, bare_jid_, "", "", std::nullopt, ""});
  return {};
}

Result<std::uint64_t> Client::send(const std::string& room, const std::string& text) {
  Room* r = find_room(room);
  if (r == nullptr || !r->group) return fail(Errc::no_group);
  if (!r->joined) {
    // Out of the room (it restarted, failed over, or we left): what was said meanwhile is
    // only in the archive; read it before speaking.
    if (auto s = enter(room); !s) return fail(s.error());
    if (auto s = fill_gap(room); !s) return fail(s.error());
    r = find_room(room);
    if (r == nullptr || !r->group) return fail(Errc::no_group);
  }
  for (int attempt = 0; attempt < 3; ++attempt) {
    auto msg = r->group->protect(mls::as_bytes(text));
    if (!msg) return fail(msg.error());
    const std::uint64_t used = r->group->epoch();
    const std::string id = new_id();
    r->record.own_ids.push_back(id);
    if (r->record.own_ids.size() > kOwnIdsKept) r->record.own_ids.erase(r->record.own_ids.begin());
    // The consumed generation is durable before the ciphertext leaves (never reuse a key).
    if (auto s = save(*r); !s) return fail(s.error());
    transport_.send(encrypted_message(room, id, mls::encode(*msg)));
    auto echo = wait_for(
        [&](const Element& s) {
          return s.name() == "message" && s.attr_or("id") == id &&
                 xmpp::Jid::parse(s.attr_or("from"))
                     .map([&](const xmpp::Jid& j) { return j.bare_string() == room; })
                     .value_or(false);
        },
        options_.timeout);
    if (!echo) return fail(echo.error());
    auto err = parse_service_error(*echo);
    if (!err) return used;
    last_error_ = err;
    if (err->condition == "not-acceptable" && err->app_condition.empty()) {
      // XEP-0410 §3: the room no longer counts us as an occupant (the service restarted or
      // failed over without telling us): enter again, read what we missed, resend.
      r->joined = false;
      if (auto s = enter(room); !s) return fail(s.error());
      if (auto s = fill_gap(room); !s) return fail(s.error());
      r = find_room(room);
      if (r == nullptr || !r->group) return fail(Errc::no_group);
      continue;
    }
    if (err->app_condition != "wrong-epoch") return fail(Errc::stanza_error);
    // Our epoch is behind the room's (§8): catch up, then encrypt again.
    auto synced = fill_gap(room);
    if (!synced) return fail(synced.error());
    r = find_room(room);
    if (r == nullptr || !r->group) return fail(Errc::no_group);
  }
  return fail(Errc::wrong_epoch);
}

Result<std::uint64_t> Client::fill_gap(const std::string& room) {
  if (catching_up_) return sync_commits(room);
  catching_up_ = true;
  auto read = catch_up(room);
  catching_up_ = false;
  if (!read) return fail(read.error());
  Room* r = find_room(room);
  if (r == nullptr || !r->group) return fail(Errc::no_group);
  return r->group->epoch();
}

Result<std::uint64_t> Client::sync_commits(const std::string& room) {
  for (;;) {
    Room* r = find_room(room);
    if (r == nullptr || !r->group) return fail(Errc::no_group);
    auto reply = request(commits_request(room, r->group->epoch()));
    if (!reply) return fail(reply.error());
    if (auto p = expect(*reply, "commits"); !p) return fail(p.error());
    auto commits = parse_commits_reply(*reply);
    if (!commits) return fail(commits.error());
    for (const EpochCommit& c : commits->commits) {
      r = find_room(room);
      if (r == nullptr || !r->group) return fail(Errc::no_group);  // removed by a commit
      if (c.epoch < r->group->epoch()) continue;
      if (auto s = apply_commit(*r, c.message, c.epoch, c.chain); !s) return fail(s.error());
    }
    r = find_room(room);
    if (r == nullptr || !r->group) return fail(Errc::no_group);
    if (!commits->more || commits->commits.empty()) return r->group->epoch();
  }
}

Result<std::uint64_t> Client::external_commit(const std::string& room, bool resync) {
  if (!resync && has_group(room)) return fail(Errc::group_exists);
  for (int attempt = 0; attempt <= options_.max_commit_retries; ++attempt) {
    auto reply = request(group_info_request(room));
    if (!reply) return fail(reply.error());
    if (auto p = expect(*reply, "group-info"); !p) return fail(p.error());
    auto info = parse_group_info_reply(*reply);
    if (!info) return fail(info.error());
    auto gi_msg = mls::decode<mls::MlsMessage>(info->group_info);
    if (!gi_msg || !std::holds_alternative<mls::GroupInfo>(gi_msg->message)) {
      return fail(Errc::bad_response);
    }
    const mls::GroupInfo& gi = std::get<mls::GroupInfo>(gi_msg->message);
    auto tree = mls::decode<mls::RatchetTree>(info->ratchet_tree);
    if (!tree) return fail(Errc::bad_response);
    std::optional<mls::LeafIndex> old_leaf;
    if (resync) {
      // Our old leaf: our identity on this device (another device's leaf is not ours to
      // replace, BR-13).
      auto pub = mls::PublicTree::from_nodes(*suite_, *tree);
      if (!pub) return fail(Errc::bad_response);
      for (mls::LeafIndex l : pub->non_blank_leaves()) {
        auto leaf = pub->leaf_node(l);
        if (!leaf || identity_of(*leaf) != bare_jid_ || device_of(*leaf) != options_.device) {
          continue;
        }
        old_leaf = l;
      }
      if (!old_leaf) return fail(Errc::unknown_member);
    }
    auto bundle = new_bundle();
    if (!bundle) return fail(bundle.error());
    auto joined = mls::Group::join_external(*suite_, gi, *tree, *bundle, old_leaf, group_options());
    if (!joined) return fail(joined.error());
    mls::Group g = std::move(joined->second).merge();
    auto new_gi = g.group_info(false);
    if (!new_gi) return fail(new_gi.error());
    auto commit_reply = request(
        commit_request(room, mls::encode(joined->first), std::nullopt, wrap_message(*new_gi)));
    if (!commit_reply) return fail(commit_reply.error());
    auto accepted = expect(*commit_reply, "accepted");
    if (!accepted) {
      if (accepted.error() == make_error_code(Errc::wrong_epoch)) continue;  // fetch again
      return fail(accepted.error());
    }
    auto served = parse_chain_attr(**accepted);
    if (!served) return fail(served.error());
    Room& r = room_state(room);
    r.group.emplace(std::move(g));
    // The chain as the service showed it at the GroupInfo's epoch, then our own commit on it.
    r.record.chain = info->chain;
    follow_chain(r, mls::encode(joined->first), *served);
    if (auto s = save(r); !s) return fail(s.error());
    emit({resync ? "resynced" : "joined", room, bare_jid_, r.record.nick, "", r.group->epoch(),
          "external commit", chain_hex(r)});
    if (!r.joined) {
      if (auto s = enter(room); !s) return fail(s.error());
    }
    Room* now = find_room(room);
    return now != nullptr && now->group ? now->group->epoch() : 0;
  }
  return fail(Errc::retries_exhausted);
}

Result<std::uint64_t> Client::join_external(const std::string& room) {
  return external_commit(room, false);
}

Result<std::uint64_t> Client::resync(const std::string& room) {
  return external_commit(room, true);
}

Result<std::size_t> Client::catch_up(const std::string& room) {
  Room* r = find_room(room);
  if (r == nullptr) return fail(Errc::no_group);
  std::size_t read = 0;
  std::string after = r->record.last_stanza_id;
  const std::string qid = new_id();
  // Live stanzas that wait in the queue among the results are handled after the archive is
  // read. A live commit far ahead, handled first, would fetch every commit up to the room's
  // epoch, and the archived messages of the epochs it skipped (more than kPastEpochs behind by
  // then) could no longer be read; once the archive is read they are duplicates or newer.
  std::vector<Element> later;
  for (int page = 0; page < 1000; ++page) {
    auto reply = request(mam_query(room, qid, after, 50));
    if (!reply) return fail(reply.error());
    auto fin = parse_mam_fin(*reply);
    if (!fin) return fail(fin.error());
    // The results arrived before the <fin/> and wait in the transport's queue, in order.
    for (;;) {
      auto s = transport_.poll(std::chrono::milliseconds(0));
      if (!s) return fail(s.error());
      if (!*s) break;
      if (auto res = parse_mam_result(**s); res && res->query_id == qid) {
        ++read;
        handle_message(res->message, true, res->archive_id);
      } else if (later.size() < kDeferredLimit) {
        later.push_back(std::move(**s));
      } else {
        handle(**s);  // bounded: past the limit, handled in place as before
      }
    }
    if (fin->complete || fin->last.empty() || fin->last == after) break;
    after = fin->last;
  }
  for (const Element& s : later) handle(s);
  if (has_group(room)) {
    if (auto e = sync_commits(room); !e) return fail(e.error());
  }
  return read;
}

Result<RoomFingerprints> Client::fingerprints(const std::string& room) const {
  const Room* r = find_room(room);
  if (r == nullptr || !r->group) return fail(Errc::no_group);
  const mls::Group& g = *r->group;
  RoomFingerprints out;
  out.own = own_fingerprint();
  out.epoch = g.epoch();
  out.epoch_authenticator = grouped_hex(g.epoch_authenticator());
  for (mls::LeafIndex l : g.tree().non_blank_leaves()) {
    auto leaf = g.tree().leaf_node(l);
    if (!leaf) continue;
    out.members.push_back({l.value, identity_of(*leaf), fingerprint(*suite_, leaf->signature_key),
                           l == g.own_leaf()});
  }
  return out;
}

Result<std::size_t> Client::pump(std::chrono::milliseconds timeout) {
  std::size_t n = 0;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto now = std::chrono::steady_clock::now();
    const auto left = now >= deadline
                          ? std::chrono::milliseconds(0)
                          : std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
    auto s = transport_.poll(n == 0 ? left : std::chrono::milliseconds(0));
    if (!s) return fail(s.error());
    if (!*s) return n;
    handle(**s);
    ++n;
  }
}

// --- devices -------------------------------------------------------------------------------------

Result<std::vector<DeviceInfo>> Client::devices() {
  auto reply = request(devices_request(options_.service));
  if (!reply) return fail(reply.error());
  if (auto p = expect(*reply, "devices"); !p) return fail(p.error());
  return parse_devices_reply(*reply);
}

Result<std::vector<RoomLeaf>> Client::service_rooms() {
  auto reply = request(rooms_request(options_.service));
  if (!reply) return fail(reply.error());
  if (auto p = expect(*reply, "rooms"); !p) return fail(p.error());
  return parse_rooms_reply(*reply);
}

Result<std::size_t> Client::join_own_rooms(bool dead_leaves_only) {
  auto listed = service_rooms();
  if (!listed) return fail(listed.error());
  std::map<std::string, bool> rooms;  // room -> holds a leaf of this device
  for (const RoomLeaf& l : *listed) rooms[l.room] |= l.device == options_.device;
  std::size_t joined = 0;
  for (const auto& [room, dead_leaf] : rooms) {
    if (has_group(room) || left_.count(room) != 0 || (dead_leaves_only && !dead_leaf)) continue;
    // A leaf of this device that we hold no group of: first the Welcome that added it, whose
    // copy went to another device of ours (then we read the room from that epoch on); a
    // resync only when it is for none of our packages (lost state).
    if (dead_leaf && join_by_fetched_welcome(room)) {
      ++joined;
      continue;
    }
    auto e = dead_leaf ? resync(room) : join_external(room);
    if (!e) {
      // One room that refuses us (we lost membership meanwhile) does not keep us out of the
      // others.
      emit({"error", room, "", "", "", std::nullopt,
            std::string(dead_leaf ? "resync" : "join") + " failed: " + e.error().message()});
      continue;
    }
    ++joined;
  }
  return joined;
}

bool Client::join_by_fetched_welcome(const std::string& room) {
  auto reply = request(welcome_request(room));
  if (!reply) return false;
  auto w = parse_welcome_reply(*reply);
  if (!w) return false;  // none kept for us (item-not-found), or a service without §6.10's get
  auto msg = mls::decode<mls::MlsMessage>(w->data);
  const auto* welcome = msg ? std::get_if<mls::Welcome>(&msg->message) : nullptr;
  if (welcome == nullptr) return false;
  if (package_for(*welcome) == key_packages_.end()) return false;
  handle_welcome(room, w->data, w->epoch.value_or(0), w->chain);
  return has_group(room);
}

void Client::recover_dead_leaf(const std::string& room) {
  if (recovering_ || has_group(room)) return;
  recovering_ = true;
  auto listed = service_rooms();
  bool ours = false;
  if (listed) {
    for (const RoomLeaf& l : *listed)
      ours = ours || (l.room == room && l.device == options_.device);
  }
  // Only our own device's leaf: another device's Welcome is not for us to act on.
  if (ours && !has_group(room)) {
    if (auto e = resync(room); !e) {
      emit({"error", room, "", "", "", std::nullopt, "resync failed: " + e.error().message()});
    }
  }
  recovering_ = false;
}

Result<std::size_t> Client::retire_device(const std::string& device) {
  if (device == options_.device) return fail(Errc::invalid_request);
  auto listed = service_rooms();
  if (!listed) return fail(listed.error());
  // The service takes the device off the list and proposes, as external sender, the Removes of
  // its leaves in every room that holds one (docs/protocol.md §6.13, BR-14); we commit each as
  // soon as it reaches us, live or from the room's archive.
  const std::size_t seen = events_.size();
  auto reply = request(retire_device_request(options_.service, device));
  if (!reply) return fail(reply.error());
  if (auto p = expect(*reply, "retire-device"); !p) return fail(p.error());
  std::size_t removed = 0;
  std::set<std::string> done;
  for (const RoomLeaf& l : *listed) {
    if (l.device != device || !has_group(l.room) || !done.insert(l.room).second) continue;
    Room* r = find_room(l.room);
    if (!r->joined) {
      if (auto s = enter(l.room); !s) return fail(s.error());
    }
    if (auto s = fill_gap(l.room); !s) return fail(s.error());
    const bool arrived =
        std::any_of(events_.begin() + static_cast<std::ptrdiff_t>(seen), events_.end(),
                    [&](const Event& e) { return e.type == "proposal" && e.room == l.room; });
    if (!arrived) {
      auto proposal = wait_for(
          [&](const Element& s) {
            if (s.name() != "message") return false;
            auto from = xmpp::Jid::parse(s.attr_or("from"));
            return from && from->bare_string() == l.room &&
                   s.child("proposal", ns::kMls) != nullptr;
          },
          options_.timeout);
      if (!proposal) return fail(proposal.error());
    }
    auto e = update(l.room);
    if (!e) return fail(e.error());
    ++removed;
  }
  return removed;
}

}  // namespace conclave::client

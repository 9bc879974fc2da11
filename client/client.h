#pragma once
// Client: one account's MLS sessions over an XMPP connection (docs/protocol.md).
//
// The client keeps one mls::Group per room, persisted in the AccountStore after every change
// (a Group is saved before anything derived from its new state leaves the process: a sent
// message's generation, a merged commit). Commits follow stage -> send -> merge (docs/style.md
// P9): a commit is merged only once the service answered <accepted/>; on <wrong-epoch/> the
// client fetches the missing commits, applies them, rebuilds its commit and tries again.
//
// Everything runs on the caller's thread: operations block until the service answered, and
// stanzas that arrive meanwhile are handled in arrival order. What happens is reported as
// Events (take_events()). Not thread-safe.
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "client/account_store.h"
#include "client/errors.h"
#include "client/protocol.h"
#include "client/transport.h"
#include "client/welcome_tree.h"
#include "mls/group/group.h"

namespace conclave::client {

struct ClientOptions {
  std::string service;                 // MLS service domain; empty: "mls." + the account's domain
  std::string nick;                    // occupant nick; empty: the account's localpart
  std::size_t key_package_target = 5;  // one-time packages to keep on the service
  std::size_t key_package_low = 2;     // replenish below this many
  // This device's name (docs/protocol.md §6.1): the application_id of every leaf it makes. Keep
  // it across reinstalls: a fresh state directory under the same name replaces the old one's
  // key packages and leaves.
  std::string device = "default";
  // Lifetime of new key packages; packages within `key_package_refresh` of their end are
  // replaced at start (docs/protocol.md §6.3: short lifetimes, refreshed before they expire).
  std::chrono::seconds key_package_lifetime{7 * 24 * 3600};
  std::chrono::seconds key_package_refresh{2 * 24 * 3600};
  // How often a client that stays online does the same (maintain_key_packages), and tops the
  // service up again after invites claimed its packages.
  std::chrono::seconds key_package_check{3600};
  std::chrono::milliseconds timeout{15000};
  int max_commit_retries = 5;  // rounds of the commit race before giving up
  // invite: ratchet tree in the Welcome or fetched by the joiner (client/welcome_tree.h)
  WelcomeTree welcome_tree = WelcomeTree::automatic;
  mls::Rng* rng = nullptr;  // nullptr: the system CSPRNG
};

// Event: something that happened in a room (or to the account), for the UI or the script mode.
struct Event {
  std::string type;  // message, commit, proposal, joined, removed, left, error, skipped,
                     // netsplit and healed (a federated room's link; detail: the other node)
  std::string room;
  std::string from;  // sender: bare JID (identity of the MLS leaf), or the service
  std::string nick;  // occupant nick when known
  std::string text;
  std::optional<std::uint64_t> epoch;  // the room's epoch after the event
  std::string detail;                  // error detail, commit summary
  // created, joined, commit: the room's commit chain hash after the event (hex; docs/protocol.md
  // §6.7), as this client computed it. chain-mismatch events name both values in `detail`.
  std::string chain = {};
};

struct MemberFingerprint {
  std::uint32_t leaf = 0;
  std::string identity;
  std::string fingerprint;
  bool self = false;
};

struct RoomFingerprints {
  std::string own;  // our signature key's fingerprint
  std::uint64_t epoch = 0;
  std::string epoch_authenticator;  // grouped hex; equal for all members of one epoch
  std::vector<MemberFingerprint> members;
};

class Client {
 public:
  // open loads the account's state (creating a signature key on first use). The transport must
  // outlive the client.
  static Result<std::unique_ptr<Client>> open(Transport& transport, AccountStore store,
                                              ClientOptions options = {});
  ~Client();

  // start sends available presence (so Welcomes stored offline are delivered), makes sure the
  // service holds enough fresh key packages and, when this state directory is new, deletes the
  // packages an earlier install of this device left on the service and joins every room whose
  // group holds a leaf of the account (a new device) or a dead leaf of this device (a reinstall).
  Status start();
  // fresh: whether open() created this state (no signature key was stored).
  bool fresh() const { return fresh_; }
  const std::string& device() const { return options_.device; }

  const std::string& bare_jid() const { return bare_jid_; }
  const std::string& service() const { return options_.service; }
  std::string own_fingerprint() const;

  // --- key packages (docs/protocol.md §4) ------------------------------------------------------
  // publish_key_packages uploads `n` new one-time packages (plus a last-resort one when asked),
  // after storing their secrets. Returns the number the service stored. `lifetime` replaces
  // the options' key_package_lifetime for these packages (tests of the service's bound, KP-9).
  Result<std::size_t> publish_key_packages(
      std::size_t n, bool last_resort, std::optional<std::chrono::seconds> lifetime = std::nullopt);
  // replenish_key_packages tops the service up to key_package_target when it holds fewer than
  // key_package_low, and uploads a last-resort package when it has none. Returns how many were
  // uploaded.
  Result<std::size_t> replenish_key_packages();
  Result<KeyPackageCount> key_package_count();
  // delete_key_packages deletes our packages on the service by ref, and every package of
  // `device` when given. Returns how many the service deleted.
  Result<std::size_t> delete_key_packages(const std::vector<mls::Bytes>& refs,
                                          std::optional<std::string> device);
  // refresh_key_packages deletes on the service our packages that expire within
  // key_package_refresh (and forgets expired ones). Returns how many it asked to delete.
  Result<std::size_t> refresh_key_packages();
  // maintain_key_packages: at most once per key_package_check (counted from start), what start
  // does for packages: refresh, then replenish. The loops of `listen` and `script` call it when
  // idle, so a client online for days never lets its packages run out or expire. Returns
  // whether it ran.
  Result<bool> maintain_key_packages();

  // --- devices (docs/protocol.md §6.13) --------------------------------------------------------
  Result<std::vector<DeviceInfo>> devices();
  // service_rooms: the rooms whose group holds a leaf of this account, with the leaf's device.
  Result<std::vector<RoomLeaf>> service_rooms();
  // join_own_rooms joins (external commit) every room of service_rooms() we hold no group of
  // and did not leave, removing this device's dead leaf when there is one. With
  // `dead_leaves_only`, only the rooms holding a leaf of this device (a device invited while
  // offline, whose Welcome another device of the account took from offline storage). Returns
  // how many it joined.
  Result<std::size_t> join_own_rooms(bool dead_leaves_only = false);
  // retire_device retires another device of ours: its packages are deleted, and in each room
  // holding its leaves the service proposes their removal, which we commit. Returns the number
  // of rooms it was removed from.
  Result<std::size_t> retire_device(const std::string& device);

  // --- rooms -------------------------------------------------------------------------------------
  // enter joins the MUC room as an occupant (creating it as an instant room when new).
  Status enter(const std::string& room);
  // create makes the room's group (§5 <create/>), entering the room first and, as its owner,
  // configuring it: persistent (docs/protocol.md BR-12) and members-only, a private group chat,
  // unless `open` (anyone not banned may enter and join). Returns the epoch (0).
  Result<std::uint64_t> create(const std::string& room, bool open = false);
  // invite sends the room's mediated invitation (XEP-0045 §7.8.2: in a members-only room the
  // room grants `jid` membership first, so the Add is allowed), then claims a key package of
  // `jid` and commits an Add with its Welcome, which carries the
  // ratchet tree as `tree` (default: options.welcome_tree) decides for the tree before the Add;
  // without it the joiner fetches the tree with <group-info/>. Returns the new epoch.
  Result<std::uint64_t> invite(const std::string& room, const std::string& jid,
                               std::optional<WelcomeTree> tree = std::nullopt);
  // remove commits the removal of every leaf of `jid`. Returns the new epoch.
  Result<std::uint64_t> remove(const std::string& room, const std::string& jid);
  // update commits a fresh UpdatePath (post-compromise security). Returns the new epoch.
  Result<std::uint64_t> update(const std::string& room);
  // leave exits the MUC room and forgets the group (a member cannot commit its own removal; the
  // others or the service remove the leaf). The device remembers it left, so that its leaf,
  // still in the group until removed, does not bring it back at the next start.
  Status leave(const std::string& room);
  // send encrypts `text` for the room and waits for the room's echo. Returns the epoch used.
  Result<std::uint64_t> send(const std::string& room, const std::string& text);
  // join_external joins the room's group by an external commit (§12.4.3.2) against the
  // GroupInfo and tree fetched from the service; resync does the same while removing our old
  // leaf (after losing state). Both return the new epoch.
  Result<std::uint64_t> join_external(const std::string& room);
  Result<std::uint64_t> resync(const std::string& room);
  // catch_up reads the room's archive (MAM) after the last message processed and applies it in
  // order, then fetches any commit still missing. Returns the number of archived messages read.
  Result<std::size_t> catch_up(const std::string& room);
  // sync_commits fetches and applies the commits since our epoch (§7 direct catch-up).
  Result<std::uint64_t> sync_commits(const std::string& room);
  Result<RoomFingerprints> fingerprints(const std::string& room) const;

  // --- receiving -------------------------------------------------------------------------------
  // pump handles received stanzas for up to `timeout` (returns after the first quiet poll once
  // at least one stanza was handled). Returns how many were handled.
  Result<std::size_t> pump(std::chrono::milliseconds timeout);
  // handle processes one received stanza (pump and the blocking operations call it).
  void handle(const xmpp::Element& stanza);
  std::vector<Event> take_events();

  // last_error: the stanza error behind the latest Errc::stanza_error / Errc::wrong_epoch.
  const std::optional<ServiceError>& last_error() const { return last_error_; }
  std::optional<std::uint64_t> epoch(const std::string& room) const;
  // chain_hash: the room's commit chain hash (hex) as this client follows it; nullopt if unknown.
  std::optional<std::string> chain_hash(const std::string& room) const;
  std::vector<std::string> rooms() const;
  bool has_group(const std::string& room) const;

 private:
  struct Room;
  std::chrono::steady_clock::time_point maintained_{};  // the last key package maintenance
  Client(Transport& transport, AccountStore store, ClientOptions options, mls::Secret sig_key,
         std::string bare_jid);

  // --- helpers (client.cpp) ---
  mls::Rng& rng() const;
  mls::GroupOptions group_options() const;
  Result<mls::KeyPackageBundle> new_bundle(
      std::optional<std::chrono::seconds> lifetime = std::nullopt) const;
  Result<xmpp::Element> request(xmpp::Element iq);
  Result<const xmpp::Element*> expect(const xmpp::Element& reply, std::string_view name);
  Room& room_state(const std::string& room);
  Room* find_room(const std::string& room);
  const Room* find_room(const std::string& room) const;
  Status save(Room& r);
  // advance: `next` (the group after a commit) becomes the room's group; the one it replaces
  // is kept among the last few epochs (Room::past) to read late messages of those epochs.
  void advance(Room& r, mls::Group next);
  // fill_gap: the room moved on without us seeing all of it (a commit or message of a later
  // epoch, a wrong-epoch answer, or we were no longer an occupant): read the archive from the
  // last message we saw, in order, so messages are decrypted in their epochs before the commits
  // after them are applied; then fetch any commits still missing. Falls back to the commit log
  // alone while a catch-up is already running (it is then filling this very gap).
  Result<std::uint64_t> fill_gap(const std::string& room);
  bool catching_up_ = false;
  void emit(Event e);
  std::string new_id();
  Result<xmpp::Element> wait_for(const std::function<bool(const xmpp::Element&)>& pred,
                                 std::chrono::milliseconds timeout);
  using BuildCommit = std::function<Result<mls::CommitOptions>(const mls::Group&)>;
  Result<std::uint64_t> commit_change(Room& r, const BuildCommit& build, std::string summary);
  Result<std::uint64_t> external_commit(const std::string& room, bool resync);

  // --- receiving (client_receive.cpp) ---
  void handle_message(const xmpp::Element& m, bool from_archive, std::string archive_id);
  void handle_presence(const xmpp::Element& p);
  void handle_iq(const xmpp::Element& iq);
  Status apply_commit(Room& r, mls::ByteView data, std::uint64_t commit_epoch,
                      const std::optional<mls::Bytes>& chain);
  // follow_chain: the room's chain after `commit` (just merged), compared with the service's
  // value when it sent one: a difference means the service showed us another history than it
  // logged (or than it showed others), and is reported as a chain-mismatch event. Our own value
  // stays, so the difference persists and every later check reports it too.
  void follow_chain(Room& r, mls::ByteView commit, const std::optional<mls::Bytes>& served);
  void check_chain(Room& r, const std::optional<mls::Bytes>& served);
  std::string chain_hex(const Room& r) const;
  void handle_proposal(Room& r, mls::ByteView data, std::uint64_t epoch);
  void handle_encrypted(Room& r, const xmpp::Element& m, mls::ByteView data, bool from_archive);
  // read_waiting: the waiting messages of the room's epoch, now that the group reached it.
  void read_waiting(const std::string& room);
  void handle_welcome(const std::string& room, mls::ByteView data, std::uint64_t epoch,
                      const std::optional<mls::Bytes>& chain);

  // recover_dead_leaf: after a Welcome we cannot open, resync `room` when its group holds a leaf
  // of this device and we hold no group of it (the leaf can never be used).
  void recover_dead_leaf(const std::string& room);
  // join_by_fetched_welcome: asks the room for the Welcome that added us (docs/protocol.md
  // §6.10) and joins with it when it is for a package of ours. Returns whether we now hold the
  // group.
  bool join_by_fetched_welcome(const std::string& room);
  // package_for: our stored key package the Welcome has a secret for, or key_packages_.end().
  std::vector<StoredKeyPackage>::iterator package_for(const mls::Welcome& welcome);
  bool fresh_ = false;
  bool recovering_ = false;

  Transport& transport_;
  AccountStore store_;
  ClientOptions options_;
  mls::Secret signature_key_;
  mls::Bytes signature_public_;
  std::string bare_jid_;
  const mls::CipherSuite* suite_;
  std::vector<StoredKeyPackage> key_packages_;
  std::map<std::string, std::unique_ptr<Room>> rooms_;
  std::set<std::string> left_;  // rooms this device left (AccountStore::load_left_rooms)
  std::vector<Event> events_;
  std::optional<ServiceError> last_error_;
  std::uint64_t next_id_ = 0;
  std::string id_prefix_;
};

}  // namespace conclave::client

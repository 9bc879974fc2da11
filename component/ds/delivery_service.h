#pragma once
// DeliveryService: the MLS delivery service inside the room service (docs/protocol.md,
// urn:xmpp:mls:0). It validates and sequences each room's commits with a public view of the
// group (mls::PublicGroup), keeps them in the MlsStore (one commit per epoch, node by node),
// fans them out to occupants through the room archive, delivers Welcomes only after their
// commit is durable, checks application messages' headers, and proposes Removes as the
// group's external sender when the room stops allowing a member.
//
// It attaches to rooms as a RoomExtension and sees them only as GroupHosts (component/rooms/):
// it never names a room kind, so MUC rooms and later MIX channels share it.
//
// Threading: I/O thread only. Room work runs inside the room's serial processing
// (GroupHost::queue()), so a room's commits, proposals and messages are handled in one order.
//
// Memory: the group state of at most DsConfig::group_cache rooms stays in memory (least
// recently used first out); the store is the truth and an evicted room is reloaded from it.
#include <chrono>
#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_set>

#include "component/core/rate_limiter.h"
#include "component/ds/ds_env.h"
#include "component/ds/group_state.h"
#include "component/ds/key_package_directory.h"
#include "component/ds/service_identity.h"
#include "component/rooms/group_host.h"
#include "component/rooms/room_extension.h"
#include "xmpp/data_form.h"
#include "xmpp/disco.h"
#include "xmpp/element.h"
#include "xmpp/jid.h"

namespace conclave::component::ds {

class DeliveryService : public RoomExtension {
 public:
  DeliveryService(DsConfig config, DsEnv env, ServiceIdentity identity);
  DeliveryService(const DeliveryService&) = delete;
  DeliveryService& operator=(const DeliveryService&) = delete;

  // --- RoomExtension: the hooks rooms call (component/rooms/room_extension.h) ---
  // on_service_iq: an iq to the service domain; true when it was ours (urn:xmpp:mls:0).
  bool on_service_iq(const xmpp::Element& stanza) override;
  // describe_service / describe_room: disco#info additions (feature; the room's epoch).
  void describe_service(xmpp::DiscoInfo& info) const override;
  void describe_room(const GroupHost& room, xmpp::DiscoInfo& info,
                     xmpp::DataForm& form) const override;
  // intercept_iq: an iq request to a room's bare JID. True when the service took it (an
  // urn:xmpp:mls:0 request, or a disco#info that waits for the group state to load).
  bool intercept_iq(GroupHost& room, const xmpp::Element& stanza, const xmpp::Jid& from,
                    const xmpp::Jid& to) override;
  // admit_groupchat: a groupchat message from an occupant with voice. False when the room
  // must not handle it now: refused (the error is sent) or deferred until the group state is
  // loaded (it is handled again then).
  bool admit_groupchat(GroupHost& room, const xmpp::Element& stanza, const xmpp::Jid& from,
                       const xmpp::Jid& to) override;
  // membership_changed: affiliations or members-only changed; members the room no longer
  // allows get a service Remove proposal.
  void membership_changed(GroupHost& room) override;
  // room_gone: the room is gone; drop its cached state (forget).
  void room_gone(const RoomJid& room) override { forget(room); }
  void forget(const RoomJid& room);
  // deliver_welcomes: sends every Welcome still in the store's outbox (after a reconnect or
  // restart; commits call it too).
  void deliver_welcomes();
  // deliver_fanouts: re-sends every commit fan-out still in the store's outbox (accepted, but no
  // instance confirmed sending it: it died in between; docs/cluster.md §6) to each member's bare
  // JID, with the ids it was archived with. Called when the instance comes online.
  void deliver_fanouts();

  // attach_rooms: how the service finds a room by its JID (the room service's lookup; null when
  // it is not served here). Set once, before any stanza arrives.
  void attach_rooms(std::function<GroupHost*(const RoomJid&)> find_room) {
    find_room_ = std::move(find_room);
  }
  // device_retired: an account retired a device (<retire-device/> to the service, §6.13): every
  // room whose group holds a leaf of it gets the service's Removes (BR-14).
  void device_retired(const std::string& owner, const std::string& device);

  // forget_all: drops every cached group (this instance stopped sequencing; docs/cluster.md).
  void forget_all();

  // --- introspection (tests, metrics) ---
  // Commits the store refused because this instance's lease was gone (docs/cluster.md §3).
  std::uint64_t fenced_commits() const { return fenced_; }
  std::optional<Epoch> epoch_of(const RoomJid& room) const;
  // epoch_of: the same by the room's address as text (tests, tools); nullopt if not a room JID.
  std::optional<Epoch> epoch_of(std::string_view room) const;
  std::size_t cached_rooms() const { return rooms_.size(); }
  const ServiceIdentity& identity() const { return identity_; }

 private:
  struct Entry {
    std::optional<RoomGroup> group;  // nullopt: the room has no group
    std::list<RoomJid>::iterator lru;
  };

  Entry* find(const RoomJid& room);
  void install(const RoomJid& room, std::optional<RoomGroup> group);
  // ensure_loaded: true when the state is known now; otherwise loads it (room await) and runs
  // `then` afterwards, or, if loading failed, answers `stanza` (when given) with an error and
  // runs `on_fail`.
  bool ensure_loaded(GroupHost& room, const xmpp::Element* stanza, std::function<void()> then,
                     std::function<void()> on_fail = {});

  void on_create(GroupHost& room, const xmpp::Element& iq, const xmpp::Element& q,
                 const std::string& sender);
  void on_group_info(GroupHost& room, const xmpp::Element& iq, const std::string& sender);
  void on_commit(GroupHost& room, const xmpp::Element& iq, const xmpp::Element& q,
                 const std::string& sender);
  // on_welcome answers a member's <welcome/> get with the latest Welcome that added it
  // (docs/protocol.md §6.10).
  void on_welcome(GroupHost& room, const xmpp::Element& iq, const std::string& sender);
  void on_commits(GroupHost& room, const xmpp::Element& iq, const xmpp::Element& q,
                  const std::string& sender);
  void answer_stale(GroupHost& room, const xmpp::Element& iq, const std::string& sender,
                    Epoch epoch, const mls::Bytes& hash, Epoch current);
  // propose_removes: a service Remove for each leaf the room no longer allows (BR-5) and each
  // leaf in `also` (a retired device's, BR-14) that has none pending yet.
  void propose_removes(GroupHost& room, const std::vector<mls::LeafIndex>& also = {});
  void on_retire_device(GroupHost& room, const xmpp::Element& iq, const xmpp::Element& q,
                        const std::string& sender);
  // reconcile: propose_removes for the room, once its state is loaded, one run at a time; with
  // `devices`, also for the leaves of retired devices (BR-14), read from the store first.
  void reconcile(GroupHost& room, bool devices = false);
  void reconcile_loaded(GroupHost& room);

  // admit_room_request: the per-JID rate limit on room IQs (mls.room_requests_per_minute);
  // false after answering <policy-violation/> (wait).
  bool admit_room_request(const xmpp::Element& stanza, const std::string& sender,
                          const std::string& room);
  void reply_error(const xmpp::Element& stanza, const xmpp::StanzaError& e);
  void store_error(const xmpp::Element& stanza, const std::string& what, std::error_code ec);
  // The error of a commit this instance may not sequence now (type wait: retry).
  static xmpp::StanzaError not_sequencing();
  void log(LogLevel level, const std::string& line) const;
  using Clock = std::chrono::steady_clock;
  // log_commit_timing: at debug level, what an accepted commit's latency was made of.
  void log_commit_timing(const std::string& room, Epoch epoch, Clock::time_point received,
                         Clock::time_point checked, Clock::time_point store_begin,
                         Clock::time_point store_end) const;

  DsConfig config_;
  DsEnv env_;
  ServiceIdentity identity_;
  KeyPackageDirectory directory_;
  RateLimiter room_requests_;
  std::unordered_set<std::string> limited_;  // JIDs refused since their last admitted request
  std::map<RoomJid, Entry> rooms_;
  std::function<GroupHost*(const RoomJid&)> find_room_;
  std::set<RoomJid> devices_due_;  // rooms whose next reconcile reads retired devices' leaves
  std::list<RoomJid> lru_;         // most recently used first
  bool welcomes_running_ = false;
  bool welcomes_again_ = false;
  bool fanouts_running_ = false;
  std::map<RoomJid, bool> reconciling_;  // room -> run again when done
  std::uint64_t fenced_ = 0;
};

}  // namespace conclave::component::ds

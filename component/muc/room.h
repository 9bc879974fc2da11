#pragma once
// Room: one XEP-0045 multi-user chat room hosted by the component: occupants and roles,
// affiliations, configuration, subject, history, and the room's MAM archive.
//
// Threading: a Room lives on the I/O thread. Stanzas are handled one at a time in arrival
// order through the room's SerialQueue (component/core/serial_queue.h): while a store call is
// in flight later stanzas wait, so every occupant sees the room's events in one order and
// nothing is acknowledged before it is durable (docs/style.md P9: stage, persist, then apply).
//
// Extensions (the MLS delivery service) attach through RoomEnv::extensions and see the room as
// a GroupHost (component/rooms/); this library never names them.
#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "component/core/serial_queue.h"
#include "component/core/services.h"
#include "component/core/stanza_util.h"
#include "component/muc/room_config.h"
#include "component/muc/room_feature.h"
#include "component/rooms/affiliation.h"
#include "component/rooms/group_host.h"
#include "component/rooms/occupant.h"
#include "component/rooms/room_extension.h"
#include "component/store/archive_store.h"
#include "component/store/room_store.h"
#include "xmpp/data_form.h"
#include "xmpp/element.h"
#include "xmpp/jid.h"
#include "xmpp/namespaces.h"
#include "xmpp/stanza.h"

namespace conclave::component {

// Stanzas from the component stream are in jabber:component:accept (XEP-0114).
inline constexpr std::string_view kComponentNs = xmpp::ns::kComponent;
// The subject and who set it, kept among a persistent room's settings.
inline constexpr std::string_view kSubjectKey = "conclave#subject";
inline constexpr std::string_view kSubjectNickKey = "conclave#subject_nick";
// When the subject was set (XEP-0082), for the <delay/> of the subject sent on join.
inline constexpr std::string_view kSubjectTimeKey = "conclave#subject_time";

// What a room needs from the service around it: the process's one Services (sender, runner,
// clock, ids, log) and the room service's stores and settings. Outlives every room.
struct RoomEnv {
  const Services* services = nullptr;  // required; outlives the room service
  // Shortcuts to the clock and ids of `services`, used on nearly every path of a room.
  TimePoint now() const { return services->now(); }
  std::string new_id() const { return services->new_id(); }

  RoomStore* rooms = nullptr;
  ArchiveStore* archive = nullptr;
  // Services attached to every room (the MLS delivery service), asked in this order.
  std::vector<RoomExtension*> extensions;
  std::function<std::string()> new_salt;  // occupant-id salt of a new room
  std::set<std::string> service_admins;   // bare JIDs that are owners of every room
  std::size_t max_history = 50;           // upper bound of a room's muc#maxhistoryfetch
  std::size_t max_occupants = 1000;       // per room, when the room sets no lower limit
  std::size_t mam_max_page = 100;         // largest MAM page served
  // Least time between two voice requests of one occupant: each request is a form sent to every
  // moderator, so an unlimited visitor could flood them (XEP-0045 §7.13 leaves the rate open).
  std::chrono::seconds voice_request_interval{60};
  // Room-creation policy (docs/configuration.md, muc.create_rooms): may this bare user JID
  // create a room by joining it? Unset: anyone may.
  std::function<bool(const xmpp::Jid& user)> may_create;
  // The room is gone (destroyed, or temporary and empty): the service forgets it.
  std::function<void(const RoomJid& room)> room_gone;
  // Runs `task` once after `delay` on the I/O thread (a federated room's link retries,
  // room_fmuc.cpp). Unset: nothing is retried by time.
  std::function<void(std::chrono::milliseconds delay, std::function<void()> task)> schedule;
  // Between two probes of a federated room's links (docs/configuration.md
  // federation.link_probe_ms).
  std::chrono::milliseconds fmuc_probe_interval{10'000};
};

// The parts of a client's presence that other occupants see: everything but the MUC join
// element, ids only the room may assign (XEP-0421 §4) and federation elements (room_fmuc.cpp).
std::vector<xmpp::Element> presence_extra_of(const xmpp::Element& presence);

class Room : public GroupHost, public std::enable_shared_from_this<Room> {
 public:
  // A new room, being created by its first occupant's join (locked until configured).
  static std::shared_ptr<Room> make_new(RoomEnv& env, xmpp::Jid jid);
  // A persistent room loaded from the store, with its newest archived messages for history.
  static std::shared_ptr<Room> from_record(RoomEnv& env, const RoomRecord& record,
                                           const std::vector<ArchivedMessage>& recent);

  // handle: one stanza addressed to the room's bare JID or to an occupant JID. `from` and `to`
  // are the stanza's parsed addresses.
  void handle(xmpp::Element stanza, xmpp::Jid from, xmpp::Jid to);

  // shutdown: tells every occupant it was removed because the service is going down
  // (XEP-0045 §10.2.1 status 332), so clients rejoin once it is back. Memory only.
  void shutdown();

  // destroy_room: deletes the room from the store, then tells every occupant (XEP-0045 §10.9,
  // with the reason and alternate venue when given) and leaves the service. `done` runs once the
  // store has answered, before the room is forgotten; on a store error nothing else happens.
  // Queued behind the stanzas the room is processing.
  void destroy_room(std::string reason, std::string alternate, std::function<void(Status)> done);

  // GroupHost: what extensions see of the room.
  const xmpp::Jid& jid() const override { return jid_; }
  RoomPolicy policy() const override;
  SerialQueue& queue() override { return queue_; }
  void reflect(const xmpp::Element& message) override;
  bool in_room(const xmpp::Jid& session) const override;
  void reprocess(xmpp::Element stanza, xmpp::Jid from, xmpp::Jid to) override;
  void group_created() override;  // room_group.cpp

  const RoomConfig& config() const { return config_; }
  bool locked() const { return locked_; }
  bool gone() const { return gone_; }
  bool holds_group() const { return holds_group_; }
  std::size_t occupant_count() const { return occupants_.size(); }
  const Occupant* occupant(std::string_view nick) const;
  Affiliation affiliation_of(const std::string& bare) const;
  const std::string& subject() const { return subject_; }
  std::size_t history_size() const { return history_.size(); }
  // Federation (room_fmuc.cpp): the FMUC nodes whose link is up (on a home its mirrors, on a
  // mirror its home), and whether this room's home refused it.
  const std::set<std::string>& fmuc_linked() const { return fmuc_.linked; }
  const std::deque<std::string>& fmuc_history() const { return fmuc_.history; }
  bool fmuc_refused() const { return fmuc_.refused; }

  // What the room's features (room_feature.h) build on: sending, looking occupants and
  // affiliations up, changing them, and running a store call in the room's order.
  void send(xmpp::Element stanza) { env_.services->out->send(std::move(stanza)); }
  void send_error(const xmpp::Element& stanza, xmpp::StanzaCondition c, std::string text = {});
  void send_to_sessions(const Occupant& o, const xmpp::Element& stanza);
  Occupant* by_session(const xmpp::Jid& full) const;
  Occupant* by_nick(std::string_view nick);
  const Occupant* by_nick(std::string_view nick) const;
  const std::vector<std::unique_ptr<Occupant>>& occupants() const { return occupants_; }
  std::string occupant_jid(std::string_view nick) const;
  // The stored affiliation row of a bare JID (with its registered nickname), or null.
  const AffiliationRecord* affiliation_row(const std::string& bare) const;
  const std::map<std::string, AffiliationRecord>& affiliation_rows() const { return affiliations_; }
  // Records a row the store has accepted, keeping the affiliation the room already applied.
  void remember_affiliation_row(AffiliationRecord row) { affiliations_[row.jid] = std::move(row); }
  // Applies an affiliation change the store has accepted: the row, then what it means for the
  // user's occupants (§9: ban, membership revoked, new role), then the extensions.
  struct AffChange {
    std::string bare;
    Affiliation affiliation;
    std::string reason;
  };
  // Who changed a role or affiliation, named in the <actor/> of the presence that removes an
  // occupant (XEP-0045 §8.2, §9.1, §9.4). Empty: the room itself (a registration, a config change).
  struct Actor {
    std::string nick;  // the actor's room nickname, "" if not in the room
    std::string bare;  // the actor's bare JID
  };
  void apply_affiliation(const AffChange& change, const Actor& actor);
  void set_role(Occupant& o, Role role);  // §8.3: everyone sees the new role
  // Drops a reflected message from the join history (a retraction, XEP-0425).
  void forget_history(const std::string& stanza_id);
  // Runs `blocking` on the store's runner, then `then` on the I/O thread, holding back the
  // room's later stanzas until it has run (component/core/serial_queue.h).
  template <class T>
  void await(std::function<T()> blocking, std::function<void(T)> then) {
    queue_.await<T>(std::move(blocking), std::move(then));
  }
  const RoomEnv& env() const { return env_; }
  TimePoint now() const { return env_.now(); }
  std::string new_id() const { return env_.new_id(); }
  void log(LogLevel level, const std::string& line) const;

  // One inbox entry: a stanza with its parsed addresses, or a service action.
  struct Pending {
    xmpp::Element stanza;
    xmpp::Jid from;
    xmpp::Jid to;
    std::function<void()> task;  // set: a service action queued in order instead of a stanza
  };

 private:
  struct HistoryEntry {
    xmpp::Element message;  // as reflected, without `to`
    TimePoint ts;
    std::size_t chars = 0;
  };
  struct ForwardedIq {
    xmpp::Jid requester;  // full JID
    std::string original_id;
    std::string target_nick;
  };

  Room(RoomEnv& env, xmpp::Jid jid);
  static std::shared_ptr<Room> adopt(Room* room);  // owned, and its queue bound to it

  // The room's mailbox: stanzas and service actions in arrival order. Each queue_ item takes the
  // next one, so a group commit (room_message.cpp) can take the plain messages queued behind
  // its own from here without changing the order of anything else.
  void enqueue(Pending p);
  void take_next();
  void process(const Pending& p);
  // Extension hooks, asked in order (RoomEnv::extensions).
  bool extensions_intercept_iq(const Pending& p);
  bool extensions_admit_groupchat(const Pending& p);
  void extensions_membership_changed();

  // Presence (room_presence.cpp).
  void on_presence(const Pending& p);
  void on_join(const Pending& p);
  void finish_join(const Pending& p, bool created);
  void send_join_sequence(const Occupant& self, const xmpp::Jid& session,
                          const xmpp::Element& presence, std::vector<int> codes);
  void on_leave(const Pending& p, Occupant& o);
  void on_nick_change(const Pending& p, Occupant& o, const std::string& new_nick);
  // Asks every feature about a join or nick change; true (and the error sent) if one refused.
  bool refused_by_feature(const Pending& p, const JoinRequest& join);
  // room_group.cpp: a configuration the room's MLS group forbids (it must stay persistent).
  std::optional<Refusal> group_refuses_config(const RoomConfig& staged) const;
  void kick_non_occupant(const Pending& p);
  // §17.1: a join or nick change to a nickname that shows nothing is refused (true: refused).
  bool refused_invisible_nick(const Pending& p);
  xmpp::Element occupant_presence(const Occupant& o, const Occupant* receiver,
                                  const std::vector<int>& codes, bool self, bool unavailable) const;
  void broadcast_presence(const Occupant& o, const std::vector<int>& codes, bool unavailable,
                          const std::vector<int>& self_codes,
                          const std::optional<xmpp::Element>& extra = std::nullopt);
  void remove_occupant(const std::string& nick, std::vector<int> codes,
                       const std::string& reason = {}, const Actor& actor = {});
  // A session gone without a presence (its server bounced a stanza, §11.1): the occupant goes
  // with its last session.
  void drop_session(Occupant& o, const xmpp::Jid& session);
  void maybe_vanish();

  // Messages (room_message.cpp).
  void on_message(const Pending& p);
  // A groupchat message: gate (voice, extensions), classify, dispatch (room_message.cpp).
  void on_groupchat(const Pending& p, Occupant& o, bool deferred = false);
  // One message of a group commit: the stanza as received (for an error reply), as reflected,
  // its archived size (history's maxchars) and its archive row.
  struct Staged {
    xmpp::Element request;
    xmpp::Element reflected;
    std::size_t chars = 0;
    ArchivedMessage row;
  };
  xmpp::Element as_reflected(xmpp::Element m, const Occupant& sender) const;
  Staged stage(const xmpp::Element& request, const Occupant& sender, TimePoint ts);
  void group_commit(const Pending& first, const Occupant& sender);
  // To this room's own occupants only (not to other FMUC nodes).
  void reflect_local(const xmpp::Element& message);
  void archive_failed(const std::vector<Staged>& batch, std::error_code why);
  // The subject (room_subject.cpp): XEP-0045 §8.1.
  void on_subject_change(const Pending& p, const Occupant& o, std::string subject);
  RoomRecord record_with_subject(std::string subject, std::string nick, TimePoint when) const;
  void on_private_message(const Pending& p, Occupant& sender);
  void on_invite(const Pending& p, const xmpp::Element& invite);
  void on_decline(const Pending& p, const xmpp::Element& decline);
  void send_history(const xmpp::Jid& session, const xmpp::Element* history_request);
  void send_subject(const xmpp::Jid& session);  // room_subject.cpp
  void send_status_message(const std::vector<int>& codes);

  // IQs (room_iq.cpp, room_admin.cpp).
  void on_iq(const Pending& p);
  void on_occupant_iq(const Pending& p);
  void on_disco_info(const Pending& p);
  void on_owner(const Pending& p, const xmpp::Element& query);
  void on_config_submit(const Pending& p, const xmpp::DataForm& form);
  void on_destroy(const Pending& p, const xmpp::Element& destroy);
  // `password`: the alternate venue's, passed on to the occupants (§10.9), "" if none.
  void destroy_store(std::string reason, std::string alternate, std::string password,
                     std::function<void(Status)> done);
  void on_admin_get(const Pending& p, const xmpp::Element& query);
  void on_admin_set(const Pending& p, const xmpp::Element& query);

  // Federation, XEP-0289 (room_fmuc.cpp, docs/federation.md §2).
  struct FmucState {
    std::set<std::string> linked;  // nodes whose link is up
    // The newest stanza-id, by that node, of a message taken from each node: what a link's
    // catch-up starts after.
    std::map<std::string, std::string> last_from;
    std::set<std::string> seen;          // "by id" of the relayed messages already taken
    std::deque<std::string> seen_order;  // the same, oldest first, for the bound
    bool refused = false;                // the home refused this mirror
    bool retry_pending = false;          // a relink is scheduled
    bool link_pending = false;           // a catch-up join awaits the home's answer
    std::chrono::milliseconds retry_delay{0};
    std::set<std::string> lost;  // nodes whose link was lost and has not come back
    // The latest link events, oldest first (the admin command federated-rooms shows them).
    std::deque<std::string> history;
    bool probing = false;                       // a probe round is scheduled
    std::map<std::string, std::string> probes;  // node -> id of its unanswered probe
  };
  bool is_fmuc_node(std::string_view bare) const;
  bool is_mirror() const { return !config_.fmuc_home.empty(); }
  // A stanza from one of this room's FMUC nodes, or carrying FMUC elements from elsewhere:
  // true when taken here (process() looks no further).
  bool fmuc_intercept(const Pending& p);
  void fmuc_from_node(const Pending& p, const std::string& node);
  void fmuc_node_presence(const Pending& p, const std::string& node);
  void fmuc_node_control(const Pending& p, const std::string& node, const xmpp::Element& fmuc);
  void fmuc_node_message(const Pending& p, const std::string& node);
  void fmuc_node_private(const Pending& p, const std::string& node);
  // Tells the other nodes of an occupant's presence; `to_origin`: also the node it came from
  // (a change made here to a remote occupant, which its own node must apply).
  void fmuc_announce(const Occupant& o, const std::vector<int>& codes, bool unavailable,
                     bool to_origin = false, const std::string& reason = {});
  // A message as reflected here, to every linked node but `origin`.
  void fmuc_relay(const xmpp::Element& reflected, const std::string& real_from,
                  const std::string& origin);
  void fmuc_send_join(const Occupant& o, bool catch_up);
  void fmuc_link(const std::string& node, const std::string& after);
  void fmuc_catch_up_to_home(const std::string& after);
  // The archived messages after `after` (none: the newest page), at most mam_max_page, to
  // `then`; `what` names the catch-up in a log line when the archive fails.
  void fmuc_archive_after(const std::string& after, std::string what,
                          std::function<void(std::vector<ArchivedMessage>)> then);
  // One archived message to the node `to`, as relayed (with <delay/> and <fmuc from/>), unless
  // one of its stanza-ids is `by` a room `skip_by` names.
  void fmuc_send_archived(const ArchivedMessage& row, const std::string& to,
                          const std::function<bool(std::string_view by)>& skip_by);
  void fmuc_link_down(const std::string& node);
  void fmuc_schedule_relink();
  void fmuc_relink();
  // Runs `task` on this room after `delay`, in the room's order (RoomEnv::schedule).
  void fmuc_after(std::chrono::milliseconds delay, void (Room::*task)());
  void fmuc_config_changed(const RoomConfig& old);
  void fmuc_schedule_probe();
  // A link event: kept in the history, and told to this room's own occupants as a message from
  // the room with <netsplit/> or <healed/> (docs/protocol.md §6.14).
  void fmuc_event(std::string_view kind, const std::string& node, const std::string& text);
  void fmuc_probe();
  void fmuc_remember_seen(const xmpp::Element& message, const std::string& node);
  bool fmuc_already_taken(const xmpp::Element& message) const;
  void fmuc_restore();  // last_from and seen from the history, after a restart
  // A mirror keeps no MLS group of its own (docs/federation.md §2): true when refused here.
  bool fmuc_refuses_mls(const Pending& p);

  // Helpers.
  std::vector<Occupant*> by_bare(const std::string& bare);
  std::string occupant_id_of(const xmpp::Jid& bare) const;
  bool can_see_jids(const Occupant* receiver) const;
  RoomRecord record() const;
  std::vector<AffiliationRecord> affiliation_records() const;

  RoomEnv& env_;
  xmpp::Jid jid_;
  RoomConfig config_;
  bool locked_ = false;
  bool created_in_store_ = false;  // the row exists (archive rows need it)
  bool gone_ = false;
  bool holds_group_ = false;  // an MLS group lives in this room: it never ends by itself
  std::string salt_;
  std::string subject_;
  std::string subject_nick_;
  std::optional<TimePoint> subject_time_;  // when the subject was last set; none: never
  std::map<std::string, AffiliationRecord> affiliations_;  // by bare JID
  std::vector<std::unique_ptr<Occupant>> occupants_;       // in join order
  std::deque<HistoryEntry> history_;
  std::map<std::string, ForwardedIq> forwarded_iqs_;  // by the id we sent
  FmucState fmuc_;

  std::deque<Pending> inbox_;
  SerialQueue queue_;
};

}  // namespace conclave::component

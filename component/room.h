#pragma once
// Room: one XEP-0045 multi-user chat room hosted by the component: occupants and roles,
// affiliations, configuration, subject, history, and the room's MAM archive.
//
// Threading: a Room lives on the I/O thread. Stanzas are handled one at a time in arrival
// order; while a store call is in flight (run on the database executor through BlockingRunner)
// later stanzas wait in the room's queue, so every occupant sees the room's events in one
// order and nothing is acknowledged before it is durable (docs/style.md P9: stage, persist,
// then apply).
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

#include "component/affiliation.h"
#include "component/blocking_runner.h"
#include "component/log.h"
#include "component/room_config.h"
#include "component/stanza_sender.h"
#include "component/stanza_util.h"
#include "component/store/archive_store.h"
#include "component/store/room_store.h"
#include "xmpp/data_form.h"
#include "xmpp/element.h"
#include "xmpp/jid.h"
#include "xmpp/stanza.h"

namespace conclave::component {

namespace ds {
class DeliveryService;
class RoomLink;
}  // namespace ds

// What a room needs from the service around it. Outlives every room.
struct RoomEnv {
  StanzaSender* out = nullptr;
  BlockingRunner* runner = nullptr;
  RoomStore* rooms = nullptr;
  ArchiveStore* archive = nullptr;
  ds::DeliveryService* mls = nullptr;     // the MLS delivery service (component/ds/), if enabled
  std::function<TimePoint()> now;         // injectable clock
  std::function<std::string()> new_id;    // XEP-0359 stanza ids and iq ids; unique
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
  std::function<void(const std::string& room)> room_gone;
  // One log line: its level and text (never a message body).
  std::function<void(LogLevel level, const std::string& line)> log;
};

struct Occupant {
  std::string nick;
  xmpp::Jid bare;
  std::vector<xmpp::Jid> sessions;  // full JIDs joined under this nick
  Role role = Role::participant;
  std::string occupant_id;  // XEP-0421, computed once on entry (an HMAC per stanza would add up)
  std::vector<xmpp::Element> presence_extra;  // <show/>, <status/>, <c/>... of the last presence
  std::optional<TimePoint> voice_requested;   // when this occupant last asked for voice
};

class Room : public std::enable_shared_from_this<Room> {
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

  const xmpp::Jid& jid() const { return jid_; }
  const RoomConfig& config() const { return config_; }
  bool locked() const { return locked_; }
  bool gone() const { return gone_; }
  std::size_t occupant_count() const { return occupants_.size(); }
  const Occupant* occupant(std::string_view nick) const;
  Affiliation affiliation_of(const std::string& bare) const;
  const std::string& subject() const { return subject_; }
  std::size_t history_size() const { return history_.size(); }

 private:
  friend class ds::RoomLink;  // the delivery service's hooks (component/ds/room_link.h)
  struct Pending {
    xmpp::Element stanza;
    xmpp::Jid from;
    xmpp::Jid to;
    std::function<void()> task;  // set: a service action queued in order instead of a stanza
  };
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
  struct AffChange {
    std::string bare;
    Affiliation affiliation;
    std::string reason;
  };

  Room(RoomEnv& env, xmpp::Jid jid) : env_(env), jid_(std::move(jid)) {}

  // The queue and the store round trip.
  void drain();
  void process(Pending p);
  void await_store(std::function<Status()> blocking, std::function<void(Status)> then);
  template <class T>
  void await_result(std::function<Result<T>()> blocking, std::function<void(Result<T>)> then);

  // Presence (room_presence.cpp).
  void on_presence(const Pending& p);
  void on_join(const Pending& p);
  void finish_join(const Pending& p, bool created);
  void send_join_sequence(const Occupant& self, const xmpp::Jid& session,
                          const xmpp::Element& presence, std::vector<int> codes);
  void on_leave(const Pending& p, Occupant& o);
  void on_nick_change(const Pending& p, Occupant& o, const std::string& new_nick);
  void kick_non_occupant(const Pending& p);
  xmpp::Element occupant_presence(const Occupant& o, const Occupant* receiver,
                                  const std::vector<int>& codes, bool self, bool unavailable) const;
  void broadcast_presence(const Occupant& o, const std::vector<int>& codes, bool unavailable,
                          const std::vector<int>& self_codes,
                          const std::optional<xmpp::Element>& extra = std::nullopt);
  void remove_occupant(const std::string& nick, std::vector<int> codes,
                       const std::string& reason = {});
  void maybe_vanish();

  // Messages (room_message.cpp).
  void on_message(const Pending& p);
  void on_groupchat(const Pending& p, Occupant& o, bool deferred = false);  // room_message.cpp
  void on_private_message(const Pending& p, Occupant& sender);
  void on_invite(const Pending& p, const xmpp::Element& invite);
  void on_decline(const Pending& p, const xmpp::Element& decline);
  void reflect(const xmpp::Element& message);
  void send_history(const xmpp::Jid& session, const xmpp::Element* history_request);
  void send_subject(const xmpp::Jid& session);
  void send_status_message(const std::vector<int>& codes);

  // IQs (room_iq.cpp, room_admin.cpp, room_mam.cpp).
  void on_iq(const Pending& p);
  void on_occupant_iq(const Pending& p);
  void on_disco_info(const Pending& p);
  void on_owner(const Pending& p, const xmpp::Element& query);
  void on_config_submit(const Pending& p, const xmpp::DataForm& form);
  void on_destroy(const Pending& p, const xmpp::Element& destroy);
  void destroy_store(std::string reason, std::string alternate, std::function<void(Status)> done);
  void on_admin_get(const Pending& p, const xmpp::Element& query);
  void on_admin_set(const Pending& p, const xmpp::Element& query);
  void apply_affiliation(const AffChange& change, const std::string& actor_nick);
  void on_mam(const Pending& p, const xmpp::Element& query);
  void on_mam_form(const Pending& p);
  // Registration and reserved nicknames (room_register.cpp): XEP-0045 §7.10, §7.11.
  void on_register(const Pending& p, const xmpp::Element& query);
  void on_reserved_nick(const Pending& p);
  // Voice requests (room_voice.cpp): §7.13 and §8.6. True if the message was one.
  bool on_request_form(const Pending& p);
  void set_role(Occupant& o, Role role);
  // Moderated message retraction (room_moderation.cpp): XEP-0425.
  void on_moderate(const Pending& p, const xmpp::Element& query);

  // Helpers.
  Occupant* by_session(const xmpp::Jid& full);
  Occupant* by_nick(std::string_view nick);
  const Occupant* by_nick(std::string_view nick) const;
  std::vector<Occupant*> by_bare(const std::string& bare);
  std::string occupant_jid(std::string_view nick) const;
  std::string occupant_id_of(const xmpp::Jid& bare) const;
  bool can_see_jids(const Occupant* receiver) const;
  void send(xmpp::Element stanza) { env_.out->send(std::move(stanza)); }
  void send_error(const xmpp::Element& stanza, xmpp::StanzaCondition c, std::string text = {});
  void send_to_sessions(const Occupant& o, const xmpp::Element& stanza);
  RoomRecord record() const;
  std::vector<AffiliationRecord> affiliation_records() const;
  void log(LogLevel level, const std::string& line) const;

  RoomEnv& env_;
  xmpp::Jid jid_;
  RoomConfig config_;
  bool locked_ = false;
  bool created_in_store_ = false;  // the row exists (archive rows need it)
  bool gone_ = false;
  std::string salt_;
  std::string subject_;
  std::string subject_nick_;
  std::map<std::string, AffiliationRecord> affiliations_;  // by bare JID
  std::vector<std::unique_ptr<Occupant>> occupants_;       // in join order
  std::deque<HistoryEntry> history_;
  std::map<std::string, ForwardedIq> forwarded_iqs_;  // by the id we sent

  std::deque<Pending> queue_;
  bool busy_ = false;
  bool draining_ = false;
};

}  // namespace conclave::component

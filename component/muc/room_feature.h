#pragma once
// RoomFeature: one optional part of a MUC room in one file (registration, the archive, message
// moderation, voice requests, self-ping, the password), joined to the room core at fixed hook
// points instead of through branches in the core. A feature owns everything of itself: the IQs
// it answers, the disco#info features it announces, the room-configuration fields it adds and
// reads, the settings it stores, the joins it refuses and the messages it takes.
//
// Features are stateless; what they remember lives in the room (its configuration, its
// affiliation rows) or in the stores. They reach the room through Room's public interface.
// Adding one is a new room_<name>.cpp defining a RoomFeature, its declaration below and one line
// in room_features.cpp; the core (room.h, room_iq.cpp) does not change.
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "component/muc/room_config.h"
#include "component/rooms/affiliation.h"
#include "xmpp/data_form.h"
#include "xmpp/disco.h"
#include "xmpp/element.h"
#include "xmpp/jid.h"
#include "xmpp/stanza.h"

namespace conclave::component {

class Room;
struct Occupant;

// A join (XEP-0045 §7.2) or a nickname change (§7.6) the room is about to accept.
struct JoinRequest {
  const xmpp::Element& presence;
  const xmpp::Jid& from;  // the full JID of the joining session
  std::string_view nick;
  Affiliation affiliation;
  bool nick_change = false;  // §7.6 rather than §7.2
};

// Why a join is refused: the stanza error the joining session gets.
struct Refusal {
  xmpp::StanzaCondition condition;
  std::string text;
};

class RoomFeature {
 public:
  virtual ~RoomFeature() = default;

  // disco#info (XEP-0045 §6.4): the features (and form fields) this feature announces.
  virtual void describe(const Room& /*room*/, xmpp::DiscoInfo& /*info*/) const {}
  // The muc#roominfo form of disco#info (§15.5.4): the fields this feature adds to it.
  virtual void add_info_fields(const Room& /*room*/, xmpp::DataForm& /*roominfo*/) const {}

  // An IQ request to the room's bare JID, with its payload. True: taken (answered, or answered
  // later from the room's queue); false: not this feature's.
  virtual bool on_iq(Room& /*room*/, const xmpp::Element& /*iq*/, const xmpp::Jid& /*from*/,
                     const xmpp::Element& /*payload*/) const {
    return false;
  }
  // An IQ request from an occupant to an occupant JID, before it is forwarded. True: taken.
  virtual bool on_occupant_iq(Room& /*room*/, const xmpp::Element& /*iq*/,
                              const Occupant& /*sender*/, const xmpp::Jid& /*to*/) const {
    return false;
  }
  // A message to the room's bare JID that is neither groupchat nor private. True: taken.
  virtual bool on_message(Room& /*room*/, const xmpp::Element& /*message*/,
                          const xmpp::Jid& /*from*/) const {
    return false;
  }

  // A join or nickname change: a refusal stops it. Asked after the core's own checks (locked,
  // banned, members-only) and before the room's occupant limit.
  virtual std::optional<Refusal> check_join(const Room& /*room*/,
                                            const JoinRequest& /*join*/) const {
    return std::nullopt;
  }

  // The owner's configuration form (§10.2): the fields this feature owns, with current values.
  virtual void add_config_fields(const RoomConfig& /*config*/, xmpp::DataForm& /*form*/) const {}
  // A submitted form: reads this feature's fields into `staged` (absent fields keep their value);
  // fails with invalid_form on a value that does not parse. Nothing is applied unless every
  // feature accepts.
  virtual xmpp::Status read_config_fields(RoomConfig& /*staged*/,
                                          const xmpp::DataForm& /*form*/) const {
    return {};
  }
  // The stored settings of a persistent room (component/store/room_store.h) for these fields.
  virtual void write_settings(const RoomConfig& /*config*/,
                              std::map<std::string, std::string>& /*out*/) const {}
  virtual void read_settings(const std::map<std::string, std::string>& /*in*/,
                             RoomConfig& /*config*/) const {}
};

// room_features: every feature of a MUC room, in the order they are asked (room_features.cpp).
const std::vector<const RoomFeature*>& room_features();

// The features, each defined in the file named after it.
const RoomFeature& password_feature();       // room_password.cpp
const RoomFeature& registration_feature();   // room_register.cpp
const RoomFeature& archive_feature();        // room_mam.cpp
const RoomFeature& moderation_feature();     // room_moderation.cpp
const RoomFeature& voice_request_feature();  // room_voice.cpp
const RoomFeature& self_ping_feature();      // room_self_ping.cpp
const RoomFeature& mode_feature();           // room_mode.cpp
const RoomFeature& fmuc_feature();           // room_fmuc.cpp

}  // namespace conclave::component

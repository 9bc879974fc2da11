#pragma once
// RoomConfig: a room's muc#roomconfig settings (XEP-0045 §10.2, §15.5.3), the owner's form,
// and their storage as a settings map (component/store/room_store.h).
#include <cstddef>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "component/store/room_mode.h"
#include "xmpp/data_form.h"
#include "xmpp/result.h"

namespace conclave::component {

enum class Whois { moderators, anyone };  // semi-anonymous / non-anonymous
enum class PmPolicy { anyone, participants, moderators, none };
// The muc#roomconfig_allowpm value of a policy.
std::string_view to_string(PmPolicy p);

struct RoomConfig {
  std::string name;
  std::string description;
  // muc#roomconfig_lang (XEP-0045 §16.5.3): the natural language of the discussions, an
  // xs:language tag ("en", "de-CH"); empty (the default, as Prosody's): not said.
  std::string lang;
  bool persistent = false;
  bool public_room = true;
  bool members_only = false;
  bool moderated = false;
  bool password_protected = false;
  std::string password;
  Whois whois = Whois::moderators;
  bool change_subject = false;  // occupants (not only moderators) may change the subject
  bool allow_invites = false;   // occupants (not only admins) may invite into members-only rooms
  PmPolicy allow_pm = PmPolicy::anyone;
  std::size_t max_users = 0;  // 0: the service limit
  std::size_t max_history = 20;
  // The owner's choice of mode (room_mode.cpp); nullopt: the default for the room's kind.
  std::optional<RoomMode> mode;
  // Federation (XEP-0289, docs/federation.md §2, room_fmuc.cpp). On a mirror: the bare JID of
  // the room it mirrors (its home); empty: none. On a home: the rooms allowed to mirror it.
  std::string fmuc_home;
  std::vector<std::string> fmuc_mirrors;

  bool non_anonymous() const { return whois == Whois::anyone; }
  // A private group chat unless chosen otherwise when members only; a chat room when open.
  RoomMode effective_mode() const {
    return mode.value_or(members_only ? RoomMode::group_chat : RoomMode::chat_room);
  }
};

// The owner's configuration form (type form, FORM_TYPE muc#roomconfig) with current values.
xmpp::DataForm config_form(const RoomConfig& c, std::size_t service_max_history);
// Both include every feature's fields (room_feature.h) after the core's.
// Applies a submitted form: fields absent keep their value. Fails with invalid_form on a value
// that does not parse (a boolean that is not one, an unknown list option, a number that is not).
xmpp::Status apply_config_form(RoomConfig& c, const xmpp::DataForm& submitted,
                               std::size_t service_max_history);

// Whether `tag` is an xs:language value (XML Schema Part 2 §3.3.3: [a-zA-Z]{1,8} then any
// number of -[a-zA-Z0-9]{1,8}), which muc#roomconfig_lang takes; empty is not one.
bool is_language_tag(std::string_view tag);

// A boolean field (XEP-0004 §3.3) with its value, for the form of the core and of features.
xmpp::FormField bool_field(std::string_view var, std::string label, bool v);
// A list-single field (XEP-0004 §3.3) whose labels are its option values.
xmpp::FormField list_field(std::string_view var, std::string label, std::string value,
                           std::initializer_list<std::string_view> options);
// Reads a submitted boolean field into `out`; absent or empty: unchanged. False if the value is
// not a boolean.
bool read_bool_field(const xmpp::DataForm& submitted, std::string_view var, bool& out);

// A stored boolean setting ("1"/"0"; "true" read too) into `out`; absent: unchanged.
inline std::string flag_setting(bool v) { return v ? "1" : "0"; }
void read_flag_setting(const std::map<std::string, std::string>& in, std::string_view key,
                       bool& out);

// The stored settings of a persistent room, with every feature's (room_feature.h).
void write_settings(const RoomConfig& c, std::map<std::string, std::string>& out);
RoomConfig read_settings(const std::map<std::string, std::string>& in);

}  // namespace conclave::component

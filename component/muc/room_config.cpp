#include "component/muc/room_config.h"

#include <algorithm>
#include <charconv>
#include <string_view>

#include "component/muc/room_feature.h"
#include "component/rooms/namespaces.h"

namespace conclave::component {
namespace {

using xmpp::DataForm;
using xmpp::FieldType;
using xmpp::FormField;

constexpr std::string_view kName = "muc#roomconfig_roomname";
constexpr std::string_view kDesc = "muc#roomconfig_roomdesc";
constexpr std::string_view kLang = "muc#roomconfig_lang";
constexpr std::string_view kPersistent = "muc#roomconfig_persistentroom";
constexpr std::string_view kPublic = "muc#roomconfig_publicroom";
constexpr std::string_view kMembersOnly = "muc#roomconfig_membersonly";
constexpr std::string_view kModerated = "muc#roomconfig_moderatedroom";
constexpr std::string_view kWhois = "muc#roomconfig_whois";
constexpr std::string_view kChangeSubject = "muc#roomconfig_changesubject";
constexpr std::string_view kAllowInvites = "muc#roomconfig_allowinvites";
constexpr std::string_view kAllowPm = "muc#roomconfig_allowpm";
constexpr std::string_view kMaxUsers = "muc#roomconfig_maxusers";
constexpr std::string_view kMaxHistory = "muc#maxhistoryfetch";

std::string_view to_string(Whois w) { return w == Whois::anyone ? "anyone" : "moderators"; }
std::optional<PmPolicy> pm_from(std::string_view s) {
  if (s == "anyone") return PmPolicy::anyone;
  if (s == "participants") return PmPolicy::participants;
  if (s == "moderators") return PmPolicy::moderators;
  if (s == "none") return PmPolicy::none;
  return std::nullopt;
}

std::optional<std::size_t> number_from(std::string_view s) {
  std::size_t v = 0;
  if (s.empty()) return 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace

bool is_language_tag(std::string_view tag) {
  std::size_t start = 0;
  for (bool first = true;; first = false) {
    const std::size_t end = std::min(tag.find('-', start), tag.size());
    const std::string_view part = tag.substr(start, end - start);
    if (part.empty() || part.size() > 8) return false;
    for (const char ch : part) {
      const bool alpha = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
      if (!alpha && (first || ch < '0' || ch > '9')) return false;
    }
    if (end == tag.size()) return true;
    start = end + 1;
  }
}

FormField list_field(std::string_view var, std::string label, std::string value,
                     std::initializer_list<std::string_view> options) {
  FormField f;
  f.var = std::string(var);
  f.type = FieldType::list_single;
  f.label = std::move(label);
  f.values = {std::move(value)};
  for (auto o : options) f.options.push_back({std::string(o), std::string(o)});
  return f;
}

FormField bool_field(std::string_view var, std::string label, bool v) {
  FormField f;
  f.var = std::string(var);
  f.type = FieldType::boolean;
  f.label = std::move(label);
  f.values = {flag_setting(v)};
  return f;
}

bool read_bool_field(const DataForm& submitted, std::string_view var, bool& out) {
  const FormField* f = submitted.field(var);
  if (f == nullptr || f->values.empty()) return true;
  auto v = f->as_bool();
  if (!v) return false;
  out = *v;
  return true;
}

void read_flag_setting(const std::map<std::string, std::string>& in, std::string_view key,
                       bool& out) {
  if (auto it = in.find(std::string(key)); it != in.end()) {
    out = it->second == "1" || it->second == "true";
  }
}

std::string_view to_string(PmPolicy p) {
  switch (p) {
    case PmPolicy::anyone:
      return "anyone";
    case PmPolicy::participants:
      return "participants";
    case PmPolicy::moderators:
      return "moderators";
    case PmPolicy::none:
      return "none";
  }
  return "anyone";
}

DataForm config_form(const RoomConfig& c, std::size_t service_max_history) {
  DataForm f;
  f.type = xmpp::FormType::form;
  f.title = "Room configuration";
  f.set_form_type(std::string(ns::kRoomConfig));
  f.add(std::string(kName), FieldType::text_single, "Name", {c.name});
  f.add(std::string(kDesc), FieldType::text_single, "Description", {c.description});
  f.add(std::string(kLang), FieldType::text_single,
        "Natural Language for Room Discussions (e.g. en, de, fr)", {c.lang});
  f.add(bool_field(kPersistent, "Persistent (kept when empty, survives a restart)", c.persistent));
  f.add(bool_field(kPublic, "Listed in the room directory", c.public_room));
  f.add(bool_field(kMembersOnly, "Members only", c.members_only));
  f.add(bool_field(kModerated, "Moderated (visitors may not speak)", c.moderated));
  f.add(list_field(kWhois, "Who may see real JIDs", std::string(to_string(c.whois)),
                   {"moderators", "anyone"}));
  f.add(bool_field(kChangeSubject, "Occupants may change the subject", c.change_subject));
  f.add(bool_field(kAllowInvites, "Occupants may invite", c.allow_invites));
  f.add(list_field(kAllowPm, "Who may send private messages", std::string(to_string(c.allow_pm)),
                   {"anyone", "participants", "moderators", "none"}));
  f.add(std::string(kMaxUsers), FieldType::text_single, "Maximum occupants (0: no room limit)",
        {std::to_string(c.max_users)});
  f.add(std::string(kMaxHistory), FieldType::text_single,
        "Messages replayed on join (at most " + std::to_string(service_max_history) + ")",
        {std::to_string(c.max_history)});
  for (const RoomFeature* feature : room_features()) feature->add_config_fields(c, f);
  return f;
}

xmpp::Status apply_config_form(RoomConfig& c, const DataForm& submitted,
                               std::size_t service_max_history) {
  RoomConfig n = c;  // staged: nothing changes unless every field parses
  auto flag = [&](std::string_view var, bool& out) { return read_bool_field(submitted, var, out); };
  auto text = [&](std::string_view var, std::string& out) {
    const FormField* f = submitted.field(var);
    if (f != nullptr) out = f->value();
  };
  text(kName, n.name);
  text(kDesc, n.description);
  text(kLang, n.lang);
  if (!n.lang.empty() && !is_language_tag(n.lang)) return xmpp::fail(xmpp::Errc::invalid_form);
  if (!flag(kPersistent, n.persistent) || !flag(kPublic, n.public_room) ||
      !flag(kMembersOnly, n.members_only) || !flag(kModerated, n.moderated) ||
      !flag(kChangeSubject, n.change_subject) || !flag(kAllowInvites, n.allow_invites)) {
    return xmpp::fail(xmpp::Errc::invalid_form);
  }
  if (const FormField* f = submitted.field(kWhois); f != nullptr && !f->values.empty()) {
    if (f->value() == "anyone") {
      n.whois = Whois::anyone;
    } else if (f->value() == "moderators") {
      n.whois = Whois::moderators;
    } else {
      return xmpp::fail(xmpp::Errc::invalid_form);
    }
  }
  if (const FormField* f = submitted.field(kAllowPm); f != nullptr && !f->values.empty()) {
    auto p = pm_from(f->value());
    if (!p) return xmpp::fail(xmpp::Errc::invalid_form);
    n.allow_pm = *p;
  }
  for (auto [var, out] : {std::pair{kMaxUsers, &n.max_users}, {kMaxHistory, &n.max_history}}) {
    if (const FormField* f = submitted.field(var); f != nullptr && !f->values.empty()) {
      auto v = number_from(f->value());
      if (!v) return xmpp::fail(xmpp::Errc::invalid_form);
      *out = *v;
    }
  }
  if (n.max_history > service_max_history) n.max_history = service_max_history;
  for (const RoomFeature* feature : room_features()) {
    if (auto ok = feature->read_config_fields(n, submitted); !ok) return ok;
  }
  c = std::move(n);
  return {};
}

void write_settings(const RoomConfig& c, std::map<std::string, std::string>& out) {
  out[std::string(kName)] = c.name;
  out[std::string(kDesc)] = c.description;
  out[std::string(kLang)] = c.lang;
  out[std::string(kPublic)] = flag_setting(c.public_room);
  out[std::string(kMembersOnly)] = flag_setting(c.members_only);
  out[std::string(kModerated)] = flag_setting(c.moderated);
  out[std::string(kWhois)] = std::string(to_string(c.whois));
  out[std::string(kChangeSubject)] = flag_setting(c.change_subject);
  out[std::string(kAllowInvites)] = flag_setting(c.allow_invites);
  out[std::string(kAllowPm)] = std::string(to_string(c.allow_pm));
  out[std::string(kMaxUsers)] = std::to_string(c.max_users);
  out[std::string(kMaxHistory)] = std::to_string(c.max_history);
  for (const RoomFeature* feature : room_features()) feature->write_settings(c, out);
}

RoomConfig read_settings(const std::map<std::string, std::string>& in) {
  RoomConfig c;
  auto get = [&](std::string_view k) -> const std::string* {
    auto it = in.find(std::string(k));
    return it == in.end() ? nullptr : &it->second;
  };
  auto flag = [&](std::string_view k, bool& out) { read_flag_setting(in, k, out); };
  if (const std::string* v = get(kName)) c.name = *v;
  if (const std::string* v = get(kDesc)) c.description = *v;
  if (const std::string* v = get(kLang)) c.lang = *v;
  flag(kPublic, c.public_room);
  flag(kMembersOnly, c.members_only);
  flag(kModerated, c.moderated);
  flag(kChangeSubject, c.change_subject);
  flag(kAllowInvites, c.allow_invites);
  if (const std::string* v = get(kWhois))
    c.whois = *v == "anyone" ? Whois::anyone : Whois::moderators;
  if (const std::string* v = get(kAllowPm)) c.allow_pm = pm_from(*v).value_or(PmPolicy::anyone);
  if (const std::string* v = get(kMaxUsers)) c.max_users = number_from(*v).value_or(0);
  if (const std::string* v = get(kMaxHistory)) c.max_history = number_from(*v).value_or(20);
  for (const RoomFeature* feature : room_features()) feature->read_settings(in, c);
  return c;
}

}  // namespace conclave::component

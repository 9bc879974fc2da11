// Federated rooms (XEP-0289, FMUC; docs/federation.md §2): a room of this deployment mirrored
// by rooms of other deployments, linked over the servers' own s2s connections.
//
// A mirror is configured by its owner with the JID of the room it mirrors (its home); the home's
// owner lists the rooms allowed to mirror it. A mirror relays its occupants' joins to the home
// (§4.1); the home answers a new link with its occupants, the messages the mirror missed, its
// subject and where the mirror's own catch-up starts, then treats the mirror's users as
// occupants reached through it. From then on each node sends every presence and message of its
// own occupants to the other nodes, once per node (§4.2-§4.4); the home passes what one mirror
// sends on to the others. Messages flow primary-primary: each node archives and reflects what it
// receives with its own stanza-id, keeping the origin's, by which relayed copies are recognised
// and dropped when they come again (a catch-up after a lost link resends what may have arrived).
//
// Each side trusts only its configured nodes (a stanza is checked against the bare JID its
// server authenticated over s2s); FMUC elements from anyone else are refused or stripped.
//
// What the XEP leaves open, decided here:
//  - catch-up: the join that forms a link carries <catch-up xmlns='urn:xmpp:mls:0' after=ID/>,
//    the newest home stanza-id the mirror took; the home answers with the messages after it from
//    its archive (at most mam_max_page), then <fmuc><linked xmlns='urn:xmpp:mls:0' after=ID/>
//    naming the newest of the mirror's messages it holds, and the mirror sends its own messages
//    after that one;
//  - a lost link (a bounce from the other node's server): the other node's occupants leave with
//    status 333, and a mirror retries the link with growing pauses while it has occupants;
//  - nickname collisions (§8 "Describe collisions"): the home refuses a mirror's join under a
//    nickname held by another user with <conflict/>, and the mirror removes its occupant;
//  - MLS: a mirror keeps no group of its own (that would fork the room); its occupants' MLS
//    requests are refused with <feature-not-implemented/> until commits are carried between the
//    nodes (docs/federation.md §3), and application messages are relayed as they are.
#include <algorithm>

#include "component/muc/room.h"
#include "component/muc/room_feature.h"
#include "component/rooms/namespaces.h"
#include "xmpp/namespaces.h"
#include "xmpp/serializer.h"

namespace conclave::component {

using xmpp::Element;
using xmpp::Jid;
using xmpp::StanzaCondition;

namespace {

constexpr std::string_view kHomeVar = "{urn:xmpp:mls:0}fmuc_home";
constexpr std::string_view kMirrorsVar = "{urn:xmpp:mls:0}fmuc_mirrors";
constexpr std::size_t kMaxMirrors = 16;    // a mirror set is a handful of deployments
constexpr std::size_t kSeenBound = 4096;   // relayed message ids remembered for duplicates
constexpr std::size_t kHistoryBound = 32;  // link events kept per room
constexpr std::chrono::milliseconds kRetryFirst{1000};
constexpr std::chrono::milliseconds kRetryMax{30000};

// A room JID as a mirror set may name it: a bare JID with a local part.
std::optional<std::string> room_jid_value(std::string_view v) {
  auto j = Jid::parse(v);
  if (!j || j->node().empty() || !j->resource().empty()) return std::nullopt;
  return j->bare_string();
}

std::string seen_key(std::string_view by, std::string_view id) {
  return std::string(by) + " " + std::string(id);
}

class FmucFeature final : public RoomFeature {
 public:
  void add_info_fields(const Room& room, xmpp::DataForm& roominfo) const override {
    // Clients learn that a room is a mirror, and of which room (docs/federation.md §7).
    if (!room.config().fmuc_home.empty()) {
      roominfo.add(std::string(kHomeVar), xmpp::FieldType::text_single, "Mirror of",
                   {room.config().fmuc_home});
    }
  }

  void add_config_fields(const RoomConfig& c, xmpp::DataForm& form) const override {
    form.add(std::string(kHomeVar), xmpp::FieldType::jid_single,
             "Mirror of (the home room's JID; empty: this room is not a mirror)",
             c.fmuc_home.empty() ? std::vector<std::string>{} : std::vector{c.fmuc_home});
    form.add(std::string(kMirrorsVar), xmpp::FieldType::jid_multi,
             "Rooms of other servers allowed to mirror this room", c.fmuc_mirrors);
  }

  xmpp::Status read_config_fields(RoomConfig& staged, const xmpp::DataForm& form) const override {
    if (const xmpp::FormField* f = form.field(kHomeVar)) {
      if (f->value().empty()) {
        staged.fmuc_home.clear();
      } else if (auto j = room_jid_value(f->value()); j && f->values.size() == 1) {
        staged.fmuc_home = *j;
      } else {
        return xmpp::fail(xmpp::Errc::invalid_form);
      }
    }
    if (const xmpp::FormField* f = form.field(kMirrorsVar)) {
      std::vector<std::string> mirrors;
      for (const std::string& v : f->values) {
        if (v.empty()) continue;
        auto j = room_jid_value(v);
        if (!j) return xmpp::fail(xmpp::Errc::invalid_form);
        if (std::find(mirrors.begin(), mirrors.end(), *j) == mirrors.end()) mirrors.push_back(*j);
      }
      if (mirrors.size() > kMaxMirrors) return xmpp::fail(xmpp::Errc::invalid_form);
      staged.fmuc_mirrors = std::move(mirrors);
    }
    // One role per room: the tree of XEP-0289 §2 with middle nodes is not built.
    if (!staged.fmuc_home.empty() && !staged.fmuc_mirrors.empty()) {
      return xmpp::fail(xmpp::Errc::invalid_form);
    }
    return {};
  }

  void write_settings(const RoomConfig& c, std::map<std::string, std::string>& out) const override {
    if (!c.fmuc_home.empty()) out[std::string(kHomeVar)] = c.fmuc_home;
    if (!c.fmuc_mirrors.empty()) {
      std::string joined;
      for (const std::string& m : c.fmuc_mirrors) joined += (joined.empty() ? "" : "\n") + m;
      out[std::string(kMirrorsVar)] = joined;
    }
  }

  void read_settings(const std::map<std::string, std::string>& in, RoomConfig& c) const override {
    if (auto it = in.find(std::string(kHomeVar)); it != in.end()) c.fmuc_home = it->second;
    if (auto it = in.find(std::string(kMirrorsVar)); it != in.end()) {
      std::string_view rest = it->second;
      while (!rest.empty()) {
        const auto nl = rest.find('\n');
        if (auto j = room_jid_value(rest.substr(0, nl))) c.fmuc_mirrors.push_back(*j);
        rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
      }
    }
  }
};

// The real JID a node names in <fmuc from=…/>.
std::optional<Jid> fmuc_from(const Element& stanza) {
  const Element* f = stanza.child("fmuc", ns::kFmuc);
  if (f == nullptr) return std::nullopt;
  auto j = Jid::parse(f->attr_or("from"));
  if (!j || j->node().empty()) return std::nullopt;
  return *j;
}

// The role a node's presence gives its occupant (none: absent or unreadable).
std::optional<Role> relayed_role(const Element& presence) {
  const Element* x = presence.child("x", ns::kMucUser);
  const Element* item = x != nullptr ? x->child("item", ns::kMucUser) : nullptr;
  if (item == nullptr) return std::nullopt;
  auto role = role_from(item->attr_or("role"));
  if (!role || *role == Role::none) return std::nullopt;
  return role;
}

// A bounce by the other node's server (its s2s link or its component is gone), as against a
// refusal by the room itself, which names the room in `by` (Room::send_error).
bool is_bounce(const Element& stanza, const std::string& node) {
  const Element* e = stanza.child("error", stanza.ns());
  return e == nullptr || e->attr_or("by") != node;
}

Element fmuc_control(const std::string& from, const std::string& to) {
  Element p = xmpp::make_stanza("presence", "", from, to, "");
  p.add_child("fmuc", std::string(ns::kFmuc));
  return p;
}

}  // namespace

const RoomFeature& fmuc_feature() {
  static const FmucFeature feature;
  return feature;
}

bool Room::is_fmuc_node(std::string_view bare) const {
  if (bare.empty() || bare == jid_.bare_string()) return false;
  if (is_mirror()) return bare == config_.fmuc_home;
  return std::find(config_.fmuc_mirrors.begin(), config_.fmuc_mirrors.end(), bare) !=
         config_.fmuc_mirrors.end();
}

bool Room::fmuc_intercept(const Pending& p) {
  const std::string from = p.from.bare_string();
  if (is_fmuc_node(from)) {
    fmuc_from_node(p, from);
    return true;
  }
  if (p.stanza.child("fmuc", ns::kFmuc) == nullptr) return false;
  // FMUC traffic from a room outside this room's set. §4.1: a join is rejected with <reject/>
  // to the joining node's bare JID; anything else is refused like a stranger's stanza.
  const auto kind = xmpp::kind_of(p.stanza);
  if (kind == xmpp::StanzaKind::presence &&
      xmpp::presence_type_of(p.stanza) == xmpp::PresenceType::available) {
    Element r = fmuc_control(jid_.bare_string(), from);
    r.child("fmuc", ns::kFmuc)
        ->add_child("reject", std::string(ns::kFmuc))
        .set_text("This room does not federate with " + from);
    send(std::move(r));
    log(LogLevel::info, "room " + jid_.bare_string() + ": FMUC join from " + from + " rejected");
  } else if (kind != xmpp::StanzaKind::presence) {
    send_error(p.stanza, StanzaCondition::not_allowed, "Not a node of this room's FMUC set");
  }
  if (!created_in_store_ && occupants_.empty()) {
    // The join would have created the room: none comes into being.
    gone_ = true;
    if (env_.room_gone) env_.room_gone(room_jid());
  }
  return true;
}

void Room::fmuc_from_node(const Pending& p, const std::string& node) {
  switch (xmpp::kind_of(p.stanza)) {
    case xmpp::StanzaKind::presence:
      fmuc_node_presence(p, node);
      return;
    case xmpp::StanzaKind::message:
      if (xmpp::message_type_of(p.stanza) == xmpp::MessageType::error) {
        if (is_bounce(p.stanza, node)) fmuc_link_down(node);
        return;
      }
      if (!p.to.resource().empty()) {
        fmuc_node_private(p, node);
      } else if (xmpp::message_type_of(p.stanza) == xmpp::MessageType::groupchat) {
        fmuc_node_message(p, node);
      }
      return;
    case xmpp::StanzaKind::iq: {
      // Probes of the link (XEP-0199 pings between the room JIDs), and their answers.
      const xmpp::IqType type = xmpp::iq_type_of(p.stanza);
      if (xmpp::is_iq_request(p.stanza)) {
        const Element* q = xmpp::iq_payload(p.stanza);
        if (type == xmpp::IqType::get && q != nullptr && q->is("ping", ns::kPing)) {
          if (fmuc_.linked.count(node) != 0) {
            send(xmpp::iq_result(p.stanza));
          } else {
            // This side has ended the link (its probe went unanswered) while the other still
            // holds it: the refusal, by this room, tells it to link again (§2).
            send_error(p.stanza, StanzaCondition::item_not_found, "Not linked");
          }
        } else {
          send_error(p.stanza, StanzaCondition::service_unavailable);
        }
        return;
      }
      auto it = fmuc_.probes.find(node);
      if (it == fmuc_.probes.end() || it->second != xmpp::id_of(p.stanza)) return;
      fmuc_.probes.erase(it);
      // A bounce, or the other room saying it holds no link with this one: either way the
      // link is down here too, and a mirror forms it again.
      if (type == xmpp::IqType::error) fmuc_link_down(node);
      return;
    }
    case xmpp::StanzaKind::other:
      return;
  }
}

void Room::fmuc_node_presence(const Pending& p, const std::string& node) {
  const xmpp::PresenceType type = xmpp::presence_type_of(p.stanza);
  const std::string& nick = p.from.resource();
  if (type == xmpp::PresenceType::error) {
    if (is_bounce(p.stanza, node)) {
      fmuc_link_down(node);
      return;
    }
    // The home refused one of this mirror's joins (banned, members-only, a nickname in use
    // there): the occupant cannot stay here either.
    Occupant* o = by_nick(nick);
    if (o != nullptr && o->node.empty()) {
      auto err = xmpp::parse_stanza_error(p.stanza);
      remove_occupant(
          nick, {307},
          "Refused by the room's home (" +
              std::string(err ? xmpp::to_string(err->condition) : std::string_view("error")) + ")");
    }
    return;
  }
  if (nick.empty()) {
    if (const Element* f = p.stanza.child("fmuc", ns::kFmuc)) fmuc_node_control(p, node, *f);
    return;
  }
  auto real = fmuc_from(p.stanza);
  if (type == xmpp::PresenceType::unavailable) {
    Occupant* o = by_nick(nick);
    if (o == nullptr) return;
    std::vector<int> codes;
    if (const Element* x = p.stanza.child("x", ns::kMucUser)) {
      for (const Element* st : x->children_named("status", ns::kMucUser)) {
        int c = 0;
        for (char ch : st->attr_or("code")) c = (ch >= '0' && ch <= '9') ? c * 10 + (ch - '0') : c;
        if (c == 307 || c == 301 || c == 321 || c == 332 || c == 333) codes.push_back(c);
      }
    }
    if (o->node == node) {
      // One of that node's occupants left: as a leave here, and on to the other nodes.
      remove_occupant(nick, codes);
      if (!is_mirror() && std::none_of(occupants_.begin(), occupants_.end(),
                                       [&](const auto& x) { return x->node == node; })) {
        // §4.4: its last user left, so the mirror left the set; tell it so.
        fmuc_.linked.erase(node);
        Element left = fmuc_control(jid_.bare_string(), node);
        left.child("fmuc", ns::kFmuc)->add_child("left", std::string(ns::kFmuc));
        send(std::move(left));
      }
    } else if (is_mirror() && o->node.empty() &&
               std::find(codes.begin(), codes.end(), 307) != codes.end()) {
      // §5: a moderator of the home removed one of this mirror's users; the home's word counts.
      remove_occupant(nick, codes);
    }
    return;
  }
  if (type != xmpp::PresenceType::available || !real) return;

  const bool home = !is_mirror();
  if (home) {
    // A join through a mirror: a link forms, or re-forms after it was lost.
    const Element* cu = p.stanza.child("catch-up", ns::kMlsExt);
    if (cu != nullptr) {
      // The mirror names the occupants it has now: those it no longer has (it restarted, or
      // they left while the link was down) leave here.
      std::set<std::string> present;
      for (const Element* e : cu->children_named("present", ns::kMlsExt)) {
        present.insert(std::string(e->attr_or("nick")));
      }
      present.insert(nick);
      std::vector<std::string> absent;
      for (const auto& x : occupants_) {
        if (x->node == node && present.count(x->nick) == 0) absent.push_back(x->nick);
      }
      for (const std::string& n : absent) remove_occupant(n, {333});
    }
    if (cu != nullptr || fmuc_.linked.count(node) == 0) {
      fmuc_link(node, cu != nullptr ? std::string(cu->attr_or("after")) : std::string());
    }
  }
  Occupant* o = by_nick(nick);
  const std::string bare = real->bare_string();
  // A refused join, as for any join (the error names this room in `by`, which the mirror
  // reads), from the occupant JID: a mirror's presence may be addressed to the bare room.
  auto refuse_join = [&](StanzaCondition c, std::string text) {
    Element request = p.stanza;
    request.set_attr("to", occupant_jid(nick));
    send_error(request, c, std::move(text));
  };
  if (o != nullptr && o->node.empty() && is_mirror() && o->bare.bare_string() == bare) {
    // The home's role for one of this mirror's own occupants (a change made there).
    if (auto role = relayed_role(p.stanza)) {
      o->role = *role;
      for (const auto& r : occupants_) {
        send_to_sessions(*r, occupant_presence(*o, r.get(), {}, r.get() == o, false));
      }
    }
    return;
  }
  if (o != nullptr && (o->node != node || o->bare.bare_string() != bare)) {
    if (home) {
      refuse_join(StanzaCondition::conflict, "That nickname is in use");
      return;
    }
    // On a mirror the home's occupant keeps its nickname; this mirror's one goes.
    remove_occupant(nick, {307}, "That nickname is in use in the room's home");
    o = nullptr;
  }
  if (home) {
    // The home applies its own rules to a mirror's users, as to its own (§5: affiliations are
    // each node's own).
    const Affiliation aff = affiliation_of(bare);
    std::optional<Refusal> refusal;
    if (locked_) refusal = Refusal{StanzaCondition::item_not_found, "The room is locked"};
    if (aff == Affiliation::outcast) refusal = Refusal{StanzaCondition::forbidden, "Banned"};
    if (!refusal && config_.members_only && aff < Affiliation::member) {
      refusal = Refusal{StanzaCondition::registration_required, "The room is members-only"};
    }
    const std::size_t limit = config_.max_users == 0
                                  ? env_.max_occupants
                                  : std::min(config_.max_users, env_.max_occupants);
    if (!refusal && o == nullptr && occupants_.size() >= limit && aff < Affiliation::admin) {
      refusal = Refusal{StanzaCondition::service_unavailable, "The room is full"};
    }
    if (refusal) {
      refuse_join(refusal->condition, std::move(refusal->text));
      return;
    }
  }
  const bool is_new = o == nullptr;
  if (is_new) {
    auto occ = std::make_unique<Occupant>();
    occ->nick = nick;
    occ->bare = real->bare();
    occ->node = node;
    occ->occupant_id = occupant_id_of(occ->bare);
    occ->role = default_role(affiliation_of(bare), config_.moderated);
    o = occ.get();
    occupants_.push_back(std::move(occ));
  }
  o->sessions = {*real};
  o->presence_extra = presence_extra_of(p.stanza);
  if (!home) {
    // A mirror shows the role the home gave.
    if (auto role = relayed_role(p.stanza)) o->role = *role;
  }
  for (const auto& r : occupants_) {
    if (r.get() == o) continue;
    send_to_sessions(*r, occupant_presence(*o, r.get(), {}, false, false));
  }
  fmuc_announce(*o, {}, false);
}

void Room::fmuc_node_control(const Pending& /*p*/, const std::string& node, const Element& fmuc) {
  if (const Element* reject = fmuc.child("reject", ns::kFmuc)) {
    // §4.1: the home does not accept this room as a mirror.
    fmuc_.refused = true;
    log(LogLevel::warn, "room " + jid_.bare_string() + ": the home " + node +
                            " refused to federate: " + reject->text_content());
    return;
  }
  if (fmuc.child("left", ns::kFmuc) != nullptr) {
    // §4.4: this mirror left the set (its last user left); the home's occupants go with it.
    fmuc_.linked.erase(node);
    std::erase_if(occupants_, [&](const auto& x) { return x->node == node; });
    maybe_vanish();
    return;
  }
  if (const Element* linked = fmuc.child("linked", ns::kMlsExt); linked != nullptr && is_mirror()) {
    const bool was = fmuc_.linked.count(node) != 0;
    fmuc_.linked.insert(node);
    fmuc_.link_pending = false;
    fmuc_.refused = false;
    fmuc_.retry_delay = std::chrono::milliseconds(0);
    fmuc_.probes.erase(node);
    fmuc_schedule_probe();
    log(LogLevel::info,
        "room " + jid_.bare_string() + ": linked to its home " + node + (was ? " (again)" : ""));
    if (fmuc_.lost.erase(node) != 0) {
      fmuc_event("healed", node, "The link to " + node + " is back");
    } else if (!was) {
      fmuc_event("linked", node, "");
    }
    if (const std::string_view head = linked->attr_or("head");
        !head.empty() && fmuc_.last_from.count(node) == 0) {
      fmuc_.last_from[node] = std::string(head);  // the next catch-up starts after it
    }
    fmuc_catch_up_to_home(std::string(linked->attr_or("after")));
  }
}

void Room::fmuc_node_message(const Pending& p, const std::string& node) {
  const std::string& nick = p.from.resource();
  auto real = fmuc_from(p.stanza);
  if (nick.empty() || !real) return;
  if (fmuc_already_taken(p.stanza)) return;
  fmuc_remember_seen(p.stanza, node);

  // The sender as this room shows it: its occupant when it is in, else (a message of the
  // catch-up from someone gone since) a stand-in with the same nickname and real JID.
  Occupant stand_in;
  const Occupant* sender = by_nick(nick);
  if (sender != nullptr && sender->node != node) {
    // A node speaks only for its own occupants: another's nickname would be impersonated (a
    // catch-up message from someone gone since whose nickname is now taken here is dropped too).
    log(LogLevel::warn, "room " + jid_.bare_string() + ": a message from " + node +
                            " under a nickname it does not hold was dropped");
    return;
  }
  if (sender == nullptr) {
    stand_in.nick = nick;
    stand_in.bare = real->bare();
    stand_in.sessions = {*real};
    stand_in.node = node;
    stand_in.occupant_id = occupant_id_of(stand_in.bare);
    sender = &stand_in;
  }
  const bool has_body = p.stanza.child("body", kComponentNs) != nullptr;
  const Element* subject = p.stanza.child("subject", kComponentNs);
  if (!has_body && subject == nullptr) {
    // Chat states and the like: relayed, not archived, as for local occupants.
    Element m = as_reflected(p.stanza, *sender);
    reflect_local(m);
    fmuc_relay(m, real->full(), node);
    return;
  }
  const TimePoint ts = env_.now();
  const bool subject_change = subject != nullptr && !has_body;
  std::string subject_text = subject_change ? subject->text_content() : std::string();
  if (subject_change && subject_text == subject_) return;  // each link brings it again
  auto staged = std::make_shared<Staged>(stage(p.stanza, *sender, ts));
  ArchiveStore* archive = env_.archive;
  const bool save_room = subject_change && config_.persistent;
  const RoomRecord rec = save_room ? record_with_subject(subject_text, nick, ts) : RoomRecord{};
  RoomStore* rooms = env_.rooms;
  await<Status>(
      [archive, rooms, row = staged->row, save_room, rec]() -> Status {
        if (auto s = archive->append(row); !s) return s;
        if (save_room) return rooms->save(rec);
        return {};
      },
      [this, staged, node, real = real->full(), subject_change, subject_text, nick, ts](Status s) {
        if (!s) {
          // Not acknowledged to anyone: the origin's next catch-up brings it again.
          log(LogLevel::error, "room " + jid_.bare_string() + ": archiving a message from " + node +
                                   " failed: " + s.error().message());
          return;
        }
        if (subject_change) {
          subject_ = subject_text;
          subject_nick_ = nick;
          subject_time_ = ts;
        } else {
          history_.push_back({staged->reflected, ts, staged->chars});
          while (history_.size() > config_.max_history) history_.pop_front();
        }
        reflect_local(staged->reflected);
        fmuc_relay(staged->reflected, real, node);
      });
}

void Room::fmuc_node_private(const Pending& p, const std::string& node) {
  // §4.5: a private message from an occupant of another node, to one of this room's occupants
  // (delivered here) or of a third node (passed on by the home).
  auto real = fmuc_from(p.stanza);
  Occupant* target = by_nick(p.to.resource());
  if (!real || target == nullptr || p.from.resource().empty()) return;
  if (const Occupant* sender = by_nick(p.from.resource());
      sender == nullptr || sender->node != node) {
    return;  // a node speaks only for its own occupants
  }
  Element m = p.stanza;
  m.set_attr("from", occupant_jid(p.from.resource()));
  if (!target->node.empty()) {
    if (target->node == node) return;  // never back where it came from
    m.set_attr("to", target->node + "/" + target->nick);
    send(std::move(m));
    return;
  }
  remove_children(m, "fmuc", ns::kFmuc, [](const Element&) { return true; });
  send_to_sessions(*target, m);
}

void Room::fmuc_announce(const Occupant& o, const std::vector<int>& codes, bool unavailable,
                         bool to_origin, const std::string& reason) {
  if (o.sessions.empty()) return;
  std::vector<std::string> targets;
  if (is_mirror()) {
    // A mirror tells its home of its own occupants; their joins form the link, so they go even
    // while it is down (the first carries the catch-up, fmuc_send_join).
    if (!o.node.empty() && !to_origin) return;
    if (!unavailable && o.node.empty() && codes.empty() && fmuc_.linked.empty()) {
      // One catch-up per attempt: the joins that follow while the home's answer is on its way
      // go plain (each catch-up makes the home send its whole room again).
      fmuc_send_join(o, !fmuc_.link_pending);
      return;
    }
    targets.push_back(config_.fmuc_home);
  } else {
    for (const std::string& n : fmuc_.linked) {
      if (n != o.node || to_origin) targets.push_back(n);
    }
  }
  for (const std::string& node : targets) {
    Element p = occupant_presence(o, nullptr, codes, false, unavailable);
    p.set_attr("to", node);
    Element* item = p.child("x", ns::kMucUser)->child("item", ns::kMucUser);
    item->set_attr("jid", o.sessions.front().full());
    if (!reason.empty()) item->add_child("reason", std::string(ns::kMucUser)).set_text(reason);
    p.add_child("fmuc", std::string(ns::kFmuc)).set_attr("from", o.sessions.front().full());
    send(std::move(p));
  }
}

void Room::fmuc_send_join(const Occupant& o, bool catch_up) {
  // §4.1: the join of a mirror's user, relayed to the home under the same nickname.
  Element p = occupant_presence(o, nullptr, {}, false, false);
  p.set_attr("to", config_.fmuc_home + "/" + o.nick);
  p.child("x", ns::kMucUser)
      ->child("item", ns::kMucUser)
      ->set_attr("jid", o.sessions.front().full());
  p.add_child("fmuc", std::string(ns::kFmuc)).set_attr("from", o.sessions.front().full());
  p.add_child("x", std::string(ns::kMuc))
      .add_child("history", std::string(ns::kMuc))
      .set_attr("maxstanzas", "0");  // the catch-up brings the messages, not history
  if (catch_up) {
    Element& cu = p.add_child("catch-up", std::string(ns::kMlsExt));
    if (auto it = fmuc_.last_from.find(config_.fmuc_home); it != fmuc_.last_from.end()) {
      cu.set_attr("after", it->second);
    }
    for (const auto& x : occupants_) {
      if (x->node.empty() && !x->sessions.empty()) {
        cu.add_child("present", std::string(ns::kMlsExt)).set_attr("nick", x->nick);
      }
    }
  }
  send(std::move(p));
  if (catch_up) {
    fmuc_.link_pending = true;
    fmuc_schedule_relink();
  }
}

void Room::fmuc_relay(const Element& reflected, const std::string& real_from,
                      const std::string& origin) {
  if (real_from.empty()) return;
  for (const std::string& node : fmuc_.linked) {
    if (node == origin) continue;
    Element m = reflected;
    m.set_attr("to", node);
    remove_children(m, "fmuc", ns::kFmuc, [](const Element&) { return true; });
    m.add_child("fmuc", std::string(ns::kFmuc)).set_attr("from", real_from);
    send(std::move(m));
  }
}

void Room::fmuc_link(const std::string& node, const std::string& after) {
  // The home's answer to a new link (§4.1): its occupants (those of other nodes too), the
  // messages the mirror has not seen, its subject, then where the mirror's catch-up starts.
  const bool was = fmuc_.linked.count(node) != 0;
  fmuc_.linked.insert(node);
  fmuc_.probes.erase(node);
  fmuc_schedule_probe();
  if (fmuc_.lost.erase(node) != 0) {
    fmuc_event("healed", node, "The link to " + node + " is back");
  } else if (!was) {
    fmuc_event("linked", node, "");
  }
  log(LogLevel::info, "room " + jid_.bare_string() + ": mirror " + node + " linked" +
                          (was ? " again" : "") + (after.empty() ? "" : " (catching up)"));
  for (const auto& o : occupants_) {
    if (o->node == node || o->sessions.empty()) continue;
    Element p = occupant_presence(*o, nullptr, {}, false, false);
    p.set_attr("to", node);
    p.child("x", ns::kMucUser)
        ->child("item", ns::kMucUser)
        ->set_attr("jid", o->sessions.front().full());
    p.add_child("fmuc", std::string(ns::kFmuc)).set_attr("from", o->sessions.front().full());
    send(std::move(p));
  }
  auto finish = [this, node](std::vector<ArchivedMessage> rows) {
    // The mirror's own messages stay with it (it recognises them too).
    for (const ArchivedMessage& row : rows) {
      fmuc_send_archived(row, node, [&](std::string_view by) { return by == node; });
    }
    if (!subject_.empty() && subject_time_ && !subject_nick_.empty()) {
      // §4.1: the subject, which the mirror takes in place of its own (when it changed). Its
      // setter's real JID is not kept, so the room stands in.
      Element s = xmpp::make_stanza("message", "groupchat", occupant_jid(subject_nick_), node,
                                    env_.new_id());
      s.add_child("subject", std::string(kComponentNs)).set_text(subject_);
      s.add_child("fmuc", std::string(ns::kFmuc)).set_attr("from", jid_.bare_string());
      send(std::move(s));
    }
    Element done = fmuc_control(jid_.bare_string(), node);
    Element& l = done.child("fmuc", ns::kFmuc)->add_child("linked", std::string(ns::kMlsExt));
    if (auto it = fmuc_.last_from.find(node); it != fmuc_.last_from.end()) {
      l.set_attr("after", it->second);
    }
    // The newest message here: the mirror has it now, whatever it took before.
    for (auto h = history_.rbegin(); h != history_.rend(); ++h) {
      const Element* sid = nullptr;
      for (const Element* e : h->message.children_named("stanza-id", ns::kStanzaId)) {
        if (e->attr_or("by") == jid_.bare_string()) sid = e;
      }
      if (sid != nullptr) {
        l.set_attr("head", std::string(sid->attr_or("id")));
        break;
      }
    }
    send(std::move(done));
  };
  // A mirror that never took anything gets the newest page, which the next catch-ups start
  // after (the `head` of <linked/>).
  fmuc_archive_after(after, "catch-up for " + node, std::move(finish));
}

void Room::fmuc_catch_up_to_home(const std::string& after) {
  // The mirror's own messages the home has not got: after `after` from the archive, or, when
  // the home names none, the newest page; the home drops those it already took. A message this
  // mirror took from the home (it carries another room's stanza-id) is not its own.
  fmuc_archive_after(after, "catch-up to the home", [this](std::vector<ArchivedMessage> rows) {
    const std::string self = jid_.bare_string();
    for (const ArchivedMessage& row : rows) {
      fmuc_send_archived(row, config_.fmuc_home, [&](std::string_view by) { return by != self; });
    }
  });
}

void Room::fmuc_archive_after(const std::string& after, std::string what,
                              std::function<void(std::vector<ArchivedMessage>)> then) {
  ArchiveStore* archive = env_.archive;
  ArchiveQuery q;
  q.room = room_jid();
  q.max = env_.mam_max_page;  // a catch-up's bound
  if (after.empty()) {
    q.last_page = true;
  } else {
    q.after_id = after;
  }
  await<Result<ArchivePage>>(
      [archive, q] { return archive->query(q); },
      [this, what = std::move(what), then = std::move(then)](Result<ArchivePage> page) {
        if (!page) {
          log(LogLevel::warn,
              "room " + jid_.bare_string() + ": " + what + ": " + page.error().message());
          then({});
          return;
        }
        then(std::move(page->messages));
      });
}

void Room::fmuc_send_archived(const ArchivedMessage& row, const std::string& to,
                              const std::function<bool(std::string_view by)>& skip_by) {
  auto e = parse_stanza_xml(row.stanza);
  if (!e || row.from_jid.empty()) return;
  Element m = with_namespace(std::move(*e), ns::kClient, xmpp::ns::kComponent);
  for (const Element* sid : m.children_named("stanza-id", ns::kStanzaId)) {
    if (skip_by(sid->attr_or("by"))) return;
  }
  m.set_attr("to", to);
  if (m.child("delay", ns::kDelay) == nullptr) {
    // XEP-0203: said earlier, and when.
    m.add_child("delay", std::string(ns::kDelay))
        .set_attr("from", jid_.bare_string())
        .set_attr("stamp", format_timestamp(row.ts));
  }
  m.add_child("fmuc", std::string(ns::kFmuc)).set_attr("from", row.from_jid);
  send(std::move(m));
}

void Room::fmuc_after(std::chrono::milliseconds delay, void (Room::*task)()) {
  // Timers hold the room weakly, and their work waits its turn in the room's queue.
  std::weak_ptr<Room> weak = weak_from_this();
  env_.schedule(delay, [weak, task] {
    auto self = weak.lock();
    if (!self) return;
    self->enqueue(Pending{{}, {}, {}, [raw = self.get(), task] { (raw->*task)(); }});
  });
}

void Room::fmuc_schedule_probe() {
  if (fmuc_.probing || fmuc_.linked.empty() || !env_.schedule) return;
  fmuc_.probing = true;
  fmuc_after(env_.fmuc_probe_interval, &Room::fmuc_probe);
}

void Room::fmuc_probe() {
  fmuc_.probing = false;
  if (gone_) return;
  // A node that did not answer the last probe within a whole interval is taken as gone: its
  // server would have bounced a stanza it could not deliver, but not always soon (ejabberd 23.01
  // answered for a killed component only after about a minute), and a cut link bounces nothing.
  std::vector<std::string> silent;
  for (const std::string& node : fmuc_.linked) {
    if (fmuc_.probes.count(node) != 0) {
      silent.push_back(node);
      continue;
    }
    const std::string id = "fmuc-probe-" + env_.new_id();
    Element ping = xmpp::make_stanza("iq", "get", jid_.bare_string(), node, id);
    ping.add_child("ping", std::string(ns::kPing));
    send(std::move(ping));
    fmuc_.probes[node] = id;
  }
  for (const std::string& node : silent) {
    log(LogLevel::warn, "room " + jid_.bare_string() + ": " + node + " did not answer a probe");
    fmuc_link_down(node);
  }
  fmuc_schedule_probe();
}

void Room::fmuc_link_down(const std::string& node) {
  fmuc_.probes.erase(node);
  const bool was = fmuc_.linked.erase(node) != 0;
  bool any = false;
  for (const auto& o : occupants_) any = any || o->node == node;
  if (!was && !any) {
    if (is_mirror()) fmuc_schedule_relink();
    return;
  }
  log(LogLevel::warn, "room " + jid_.bare_string() + ": link to " + node + " lost");
  fmuc_.lost.insert(node);
  fmuc_event("netsplit", node,
             "The link to " + node + " is lost; its users are gone from here until it is back");
  // Its occupants leave as if their sessions were gone (§7.14 status 333); the room tells the
  // other nodes too.
  std::vector<std::string> gone;
  for (const auto& o : occupants_) {
    if (o->node == node) gone.push_back(o->nick);
  }
  for (const std::string& nick : gone) remove_occupant(nick, {333});
  if (is_mirror()) fmuc_schedule_relink();
}

void Room::fmuc_schedule_relink() {
  if (!is_mirror() || fmuc_.retry_pending || !env_.schedule) return;
  // Doubling pauses, never longer than a probe interval: a healed link is found about as soon
  // as a lost one is.
  const auto most = std::max(kRetryFirst, std::min(kRetryMax, env_.fmuc_probe_interval));
  fmuc_.retry_delay =
      std::min(most, fmuc_.retry_delay.count() == 0 ? kRetryFirst : fmuc_.retry_delay * 2);
  fmuc_.retry_pending = true;
  fmuc_after(fmuc_.retry_delay, &Room::fmuc_relink);
}

void Room::fmuc_relink() {
  fmuc_.retry_pending = false;
  fmuc_.link_pending = false;  // unanswered: ask again
  if (gone_ || !is_mirror() || fmuc_.refused || fmuc_.linked.count(config_.fmuc_home) != 0) {
    return;
  }
  // Bounded: only while this mirror has occupants of its own.
  bool sent = false;
  for (const auto& o : occupants_) {
    if (!o->node.empty() || o->sessions.empty()) continue;
    fmuc_send_join(*o, !sent);
    sent = true;
  }
}

void Room::fmuc_config_changed(const RoomConfig& old) {
  // Nodes no longer in the set: their occupants leave, and a dropped mirror is told it left.
  std::vector<std::string> dropped;
  for (const std::string& n : fmuc_.linked) {
    if (!is_fmuc_node(n)) dropped.push_back(n);
  }
  std::vector<std::string> gone;
  for (const auto& o : occupants_) {
    if (!o->node.empty() && !is_fmuc_node(o->node)) gone.push_back(o->nick);
  }
  for (const std::string& nick : gone) remove_occupant(nick, {333});
  for (const std::string& n : dropped) {
    fmuc_.linked.erase(n);
    if (n == old.fmuc_home) {
      // This room stopped mirroring: its occupants leave the old home.
      for (const auto& o : occupants_) {
        if (!o->node.empty() || o->sessions.empty()) continue;
        Element u = xmpp::make_stanza("presence", "unavailable", occupant_jid(o->nick),
                                      n + "/" + o->nick, "");
        u.add_child("fmuc", std::string(ns::kFmuc)).set_attr("from", o->sessions.front().full());
        send(std::move(u));
      }
    } else {
      Element left = fmuc_control(jid_.bare_string(), n);
      left.child("fmuc", ns::kFmuc)->add_child("left", std::string(ns::kFmuc));
      send(std::move(left));
    }
  }
  if (is_mirror() && config_.fmuc_home != old.fmuc_home) {
    // A new home: this room's occupants join it, the first with the catch-up.
    fmuc_.refused = false;
    fmuc_.retry_delay = std::chrono::milliseconds(0);
    bool sent = false;
    for (const auto& o : occupants_) {
      if (!o->node.empty() || o->sessions.empty()) continue;
      fmuc_send_join(*o, !sent);
      sent = true;
    }
  }
}

void Room::fmuc_event(std::string_view kind, const std::string& node, const std::string& text) {
  fmuc_.history.push_back(format_timestamp(env_.now()) + " " + std::string(kind) + " " + node);
  while (fmuc_.history.size() > kHistoryBound) fmuc_.history.pop_front();
  if (text.empty()) return;  // a first link is no news to the occupants
  Element m = xmpp::make_stanza("message", "groupchat", jid_.bare_string(), "", env_.new_id());
  m.add_child("body", std::string(kComponentNs)).set_text(text);
  m.add_child(std::string(kind), std::string(ns::kMlsExt)).set_attr("node", node);
  reflect_local(m);
}

bool Room::fmuc_already_taken(const Element& message) const {
  for (const Element* sid : message.children_named("stanza-id", ns::kStanzaId)) {
    const std::string_view by = sid->attr_or("by");
    if (by == jid_.bare_string()) return true;  // this room's own message, come back
    if (fmuc_.seen.count(seen_key(by, sid->attr_or("id"))) != 0) return true;
  }
  return false;
}

void Room::fmuc_remember_seen(const Element& message, const std::string& node) {
  for (const Element* sid : message.children_named("stanza-id", ns::kStanzaId)) {
    const std::string_view by = sid->attr_or("by");
    if (by == jid_.bare_string()) continue;
    if (by == node) fmuc_.last_from[node] = std::string(sid->attr_or("id"));
    std::string key = seen_key(by, sid->attr_or("id"));
    if (!fmuc_.seen.insert(key).second) continue;
    fmuc_.seen_order.push_back(std::move(key));
    if (fmuc_.seen_order.size() > kSeenBound) {
      fmuc_.seen.erase(fmuc_.seen_order.front());
      fmuc_.seen_order.pop_front();
    }
  }
}

void Room::fmuc_restore() {
  if (!is_mirror() && config_.fmuc_mirrors.empty()) return;
  for (const HistoryEntry& h : history_) {
    for (const Element* sid : h.message.children_named("stanza-id", ns::kStanzaId)) {
      const std::string by(sid->attr_or("by"));
      if (is_fmuc_node(by)) fmuc_remember_seen(h.message, by);
    }
  }
}

bool Room::fmuc_refuses_mls(const Pending& p) {
  if (!is_mirror()) return false;
  bool mls = false;
  if (xmpp::kind_of(p.stanza) == xmpp::StanzaKind::iq) {
    const Element* q = xmpp::iq_payload(p.stanza);
    mls = q != nullptr && q->ns() == ns::kMlsExt;
  } else {
    for (const char* name : {"commit", "proposal", "welcome", "group-info"}) {
      mls = mls || p.stanza.child(name, ns::kMlsExt) != nullptr;
    }
  }
  if (!mls) return false;
  send_error(p.stanza, StanzaCondition::feature_not_implemented,
             "This room mirrors " + config_.fmuc_home + "; its MLS group is served there");
  return true;
}

}  // namespace conclave::component

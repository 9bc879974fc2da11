// Room messages: groupchat reflection with stanza-id and occupant-id (XEP-0045 §7.4, XEP-0359,
// XEP-0421), subject (§8.1), private messages (§7.5), invitations (§7.8), history (§7.2.15).
#include "component/muc/room.h"
#include "component/rooms/namespaces.h"
#include "component/rooms/occupant_id.h"
#include "xmpp/namespaces.h"
#include "xmpp/serializer.h"

namespace conclave::component {

using xmpp::Element;
using xmpp::Jid;
using xmpp::StanzaCondition;

namespace {

// A group commit's bound: one transaction, one multi-row INSERT (db/pg_archive_store.cpp).
constexpr std::size_t kMaxGroupCommit = 256;

// is_plain_groupchat: a groupchat message with a body to the room itself, what a group commit
// may take from the inbox.
bool is_plain_groupchat(const Room::Pending& p) {
  return xmpp::kind_of(p.stanza) == xmpp::StanzaKind::message &&
         xmpp::message_type_of(p.stanza) == xmpp::MessageType::groupchat &&
         p.to.resource().empty() && p.stanza.child("body", kComponentNs) != nullptr;
}

// Ids only the room may assign: a client-sent <stanza-id by=room/> or <occupant-id/> would let
// a sender forge them (XEP-0359 §5, XEP-0421 §4).
void strip_forgeable(Element& m, const std::string& room) {
  remove_children(m, "stanza-id", ns::kStanzaId,
                  [&](const Element& c) { return c.attr_or("by") == room; });
  remove_children(m, "occupant-id", ns::kOccupantId, [](const Element&) { return true; });
  // Federation elements name a sender's real JID; only the room's FMUC nodes may send them
  // (room_fmuc.cpp), and they never reach occupants.
  remove_children(m, "fmuc", ns::kFmuc, [](const Element&) { return true; });
}

// reflect_all: the messages to every occupant's sessions in one fan-out, occupant by occupant
// (a group commit's messages for one occupant are adjacent, which lets the server write them to
// that client at once).
void reflect_all(const std::vector<std::unique_ptr<Occupant>>& occupants,
                 std::vector<Element> messages, StanzaSender& out) {
  std::vector<std::string> to;
  to.reserve(occupants.size());
  for (const auto& o : occupants) {
    if (!o->node.empty()) continue;  // remote occupants: through their node (room_fmuc.cpp)
    for (const Jid& s : o->sessions) to.push_back(s.full());
  }
  out.send_to_each(std::move(messages), std::move(to));
}

}  // namespace

void Room::on_message(const Pending& p) {
  const xmpp::MessageType type = xmpp::message_type_of(p.stanza);
  Occupant* o = by_session(p.from);
  if (type == xmpp::MessageType::error) {
    // A message bounced by an occupant's server: that session is gone (as Prosody does).
    if (o != nullptr && p.to.resource().empty()) {
      drop_session(*o, p.from);
    }
    return;
  }
  if (!p.to.resource().empty()) {
    if (o == nullptr) {
      send_error(p.stanza, StanzaCondition::not_acceptable, "You are not in the room");
      return;
    }
    if (type == xmpp::MessageType::groupchat) {
      send_error(p.stanza, StanzaCondition::bad_request);  // §7.5: a PM is never groupchat
      return;
    }
    on_private_message(p, *o);
    return;
  }
  if (type == xmpp::MessageType::groupchat) {
    if (o == nullptr) {
      send_error(p.stanza, StanzaCondition::not_acceptable, "You are not in the room");
      return;
    }
    on_groupchat(p, *o);
    return;
  }
  for (const RoomFeature* f : room_features()) {
    if (f->on_message(*this, p.stanza, p.from)) return;  // voice requests (room_voice.cpp), ...
  }
  if (const Element* x = p.stanza.child("x", ns::kMucUser)) {
    if (const Element* inv = x->child("invite", ns::kMucUser)) {
      on_invite(p, *inv);
      return;
    }
    if (const Element* dec = x->child("decline", ns::kMucUser)) {
      on_decline(p, *dec);
      return;
    }
  }
  send_error(p.stanza, StanzaCondition::bad_request);
}

void Room::on_groupchat(const Pending& p, Occupant& o, bool deferred) {
  // Gate: voice, then the extensions (a deferred call was admitted on its first pass).
  if (o.role < Role::participant) {
    send_error(p.stanza, StanzaCondition::forbidden, "You have no voice in this room");
    return;
  }
  if (!deferred && !extensions_admit_groupchat(p)) return;
  // Classify, then dispatch.
  const bool has_body = p.stanza.child("body", kComponentNs) != nullptr;
  const Element* subject = p.stanza.child("subject", kComponentNs);
  if (subject != nullptr && !has_body) {
    on_subject_change(p, o, subject->text_content());  // room_subject.cpp
    return;
  }
  if (!has_body) {
    reflect(as_reflected(p.stanza, o));  // chat states and the like: relayed, not archived
    return;
  }
  if (!deferred && inbox_.empty()) {
    // Nothing queued behind this message yet: wait one turn of the I/O loop, so the messages
    // read from the server together with it join its write (the room stays busy meanwhile).
    queue_.defer([this, p] {
      if (Occupant* sender = by_session(p.from); sender != nullptr && !gone_) {
        on_groupchat(p, *sender, true);
      }
    });
    return;
  }
  group_commit(p, o);
}

Element Room::as_reflected(Element m, const Occupant& sender) const {
  // The message as occupants see it: from the occupant JID, with the room's occupant-id.
  strip_forgeable(m, jid_.bare_string());
  m.set_attr("from", occupant_jid(sender.nick));
  m.remove_attr("to");
  m.add_child("occupant-id", std::string(ns::kOccupantId)).set_attr("id", sender.occupant_id);
  return m;
}

Room::Staged Room::stage(const Element& request, const Occupant& sender, TimePoint ts) {
  const RoomJid room = room_jid();
  Element m = as_reflected(request, sender);
  const std::string sid = env_.new_id();
  m.add_child("stanza-id", std::string(ns::kStanzaId))
      .set_attr("id", sid)
      .set_attr("by", room.str());
  ArchivedMessage a;
  a.room = room;
  a.stanza_id = sid;
  a.ts = ts;
  a.from_nick = sender.nick;
  a.occupant_id = sender.occupant_id;
  a.from_jid = sender.bare.bare_string();
  a.stanza = xmpp::to_string(with_namespace(m, kComponentNs, ns::kClient));
  const std::size_t chars = a.stanza.size();
  return Staged{request, std::move(m), chars, std::move(a)};
}

void Room::archive_failed(const std::vector<Staged>& batch, std::error_code why) {
  log(LogLevel::error, "archiving " + std::to_string(batch.size()) + " message(s) in " +
                           jid_.bare_string() + " failed: " + why.message());
  for (const Staged& st : batch) {
    auto reply = xmpp::error_reply(
        st.request, xmpp::StanzaError{StanzaCondition::internal_server_error, xmpp::ErrorType::wait,
                                      "The archive is unavailable", std::nullopt});
    if (reply) send(std::move(*reply));
  }
}

void Room::group_commit(const Pending& first, const Occupant& sender) {
  // Archive first, reflect after (docs/configuration.md "Durability"): what occupants see, and
  // what the sender takes as acknowledged, is already in the archive; a crash in between loses
  // only a message nobody saw, which the sender's client will show as unconfirmed.
  //
  // Group commit: the plain groupchat messages that queued up behind this one while the room's
  // previous write was in flight go into the same transaction, and are reflected together, in
  // order, once it commits. Taking only those keeps the room's order: the first stanza that is
  // anything else (or from an occupant without voice) ends the batch and waits in the inbox.
  const TimePoint ts = env_.now();
  auto batch = std::make_shared<std::vector<Staged>>();
  batch->push_back(stage(first.stanza, sender, ts));
  while (batch->size() < kMaxGroupCommit && !inbox_.empty()) {
    const Pending& next = inbox_.front();
    const Occupant* next_sender = by_session(next.from);
    if (!is_plain_groupchat(next) || next_sender == nullptr ||
        next_sender->role < Role::participant) {
      break;
    }
    Pending taken = std::move(inbox_.front());
    inbox_.pop_front();
    // As on_groupchat's gate: a message an extension refuses or holds is its own.
    if (!extensions_admit_groupchat(taken)) continue;
    batch->push_back(stage(taken.stanza, *next_sender, ts));
  }
  std::vector<ArchivedMessage> rows;
  rows.reserve(batch->size());
  for (const Staged& st : *batch) rows.push_back(st.row);
  ArchiveStore* archive = env_.archive;
  await<Status>([archive, rows = std::move(rows)] { return archive->append_batch(rows); },
                [this, batch, ts](Status s) {
                  if (!s) return archive_failed(*batch, s.error());
                  std::vector<Element> reflected;
                  reflected.reserve(batch->size());
                  for (Staged& st : *batch) {
                    history_.push_back({st.reflected, ts, st.chars});
                    if (!fmuc_linked().empty()) {
                      fmuc_relay(st.reflected, std::string(st.request.attr_or("from")), "");
                    }
                    reflected.push_back(std::move(st.reflected));
                  }
                  reflect_all(occupants_, std::move(reflected), *env_.services->out);
                  while (history_.size() > config_.max_history) history_.pop_front();
                });
}

void Room::reflect_local(const Element& message) {
  reflect_all(occupants_, {message}, *env_.services->out);
}

void Room::reflect(const Element& message) {
  reflect_all(occupants_, {message}, *env_.services->out);
  // An occupant's message (a subject, a chat state) goes to the other nodes of a federated
  // room too; what the room itself says (status codes, the delivery service's messages) stays.
  // Every reflection passes here: a room without links looks no further.
  if (fmuc_linked().empty()) return;
  if (auto from = Jid::parse(message.attr_or("from")); from && !from->resource().empty()) {
    if (const Occupant* sender = by_nick(from->resource());
        sender != nullptr && sender->node.empty() && !sender->sessions.empty()) {
      fmuc_relay(message, sender->sessions.front().full(), "");
    }
  }
}

void Room::on_private_message(const Pending& p, Occupant& sender) {
  const bool allowed = [&] {
    switch (config_.allow_pm) {
      case PmPolicy::anyone:
        return true;
      case PmPolicy::participants:
        return sender.role >= Role::participant;
      case PmPolicy::moderators:
        return sender.role == Role::moderator;
      case PmPolicy::none:
        return false;
    }
    return false;
  }();
  if (!allowed) {
    send_error(p.stanza, StanzaCondition::forbidden, "Private messages are not allowed here");
    return;
  }
  Occupant* target = by_nick(p.to.resource());
  if (target == nullptr) {
    send_error(p.stanza, StanzaCondition::item_not_found, "No such occupant");
    return;
  }
  Element m = p.stanza;
  strip_forgeable(m, jid_.bare_string());
  m.set_attr("from", occupant_jid(sender.nick));
  if (m.child("x", ns::kMucUser) == nullptr) m.add_child("x", std::string(ns::kMucUser));
  m.add_child("occupant-id", std::string(ns::kOccupantId)).set_attr("id", sender.occupant_id);
  if (!target->node.empty()) {
    // XEP-0289 §4.5: to the node the target is joined at, from this room's occupant JID.
    m.set_attr("to", target->node + "/" + target->nick);
    m.add_child("fmuc", std::string(ns::kFmuc)).set_attr("from", p.from.full());
    send(std::move(m));
    return;
  }
  send_to_sessions(*target, m);  // never archived (docs/xmpp.md, MAM)
}

void Room::on_invite(const Pending& p, const Element& invite) {
  Occupant* o = by_session(p.from);
  if (o == nullptr) {
    send_error(p.stanza, StanzaCondition::not_acceptable, "You are not in the room");
    return;
  }
  auto invitee = Jid::parse(invite.attr_or("to"));
  if (!invitee) {
    send_error(p.stanza, StanzaCondition::jid_malformed);
    return;
  }
  const Affiliation inviter_aff = affiliation_of(o->bare.bare_string());
  if (config_.members_only && !config_.allow_invites && inviter_aff < Affiliation::admin) {
    send_error(p.stanza, StanzaCondition::forbidden, "Only admins may invite");
    return;
  }
  const std::string reason = invite.child_text("reason", ns::kMucUser);
  auto deliver = [this, inviter = o->bare.bare_string(), to = *invitee, reason] {
    // §7.8.2: the room sends the invitation in its own name, with the inviter's JID.
    Element m = xmpp::make_stanza("message", "", jid_.bare_string(), to.full(), env_.new_id());
    Element& x = m.add_child("x", std::string(ns::kMucUser));
    Element& inv = x.add_child("invite", std::string(ns::kMucUser));
    inv.set_attr("from", inviter);
    if (!reason.empty()) inv.add_child("reason", std::string(ns::kMucUser)).set_text(reason);
    if (config_.password_protected) {
      x.add_child("password", std::string(ns::kMucUser)).set_text(config_.password);
    }
    m.add_child("body", std::string(kComponentNs))
        .set_text(inviter + " invites you to the room " + jid_.bare_string());
    send(std::move(m));
  };
  const std::string to_bare = invitee->bare_string();
  if (config_.members_only && affiliation_of(to_bare) < Affiliation::member &&
      affiliation_of(to_bare) != Affiliation::outcast) {
    // §7.8.2: an invitation into a members-only room makes the invitee a member.
    AffiliationRecord rec{to_bare, Affiliation::member, "invited by " + o->bare.bare_string(), ""};
    RoomStore* store = env_.rooms;
    const RoomJid room = room_jid();
    await<Status>([store, room, rec] { return store->set_affiliations(room, {rec}); },
                  [this, p, rec, deliver](Status s) {
                    if (!s) {
                      send_error(p.stanza, StanzaCondition::internal_server_error);
                      return;
                    }
                    affiliations_[rec.jid] = rec;
                    deliver();
                  });
    return;
  }
  deliver();
}

void Room::on_decline(const Pending& p, const Element& decline) {
  auto to = Jid::parse(decline.attr_or("to"));
  if (!to) {
    send_error(p.stanza, StanzaCondition::jid_malformed);
    return;
  }
  // §7.8.2: the room passes the decline on, naming who declined.
  Element m = xmpp::make_stanza("message", "", jid_.bare_string(), to->full(), env_.new_id());
  Element& x = m.add_child("x", std::string(ns::kMucUser));
  Element& d = x.add_child("decline", std::string(ns::kMucUser));
  d.set_attr("from", p.from.bare_string());
  const std::string reason = decline.child_text("reason", ns::kMucUser);
  if (!reason.empty()) d.add_child("reason", std::string(ns::kMucUser)).set_text(reason);
  send(std::move(m));
}

void Room::send_history(const Jid& session, const Element* req) {
  // §7.2.15: maxchars, maxstanzas, seconds and since limit the replay; all must hold.
  std::size_t max_stanzas = history_.size();
  std::optional<std::size_t> max_chars;
  std::optional<TimePoint> since;
  auto num = [](std::string_view v) -> std::optional<std::size_t> {
    if (v.empty()) return std::nullopt;
    std::size_t n = 0;
    for (char c : v) {
      if (c < '0' || c > '9') return std::nullopt;
      n = n * 10 + static_cast<std::size_t>(c - '0');
      if (n > 1'000'000'000) return std::nullopt;
    }
    return n;
  };
  if (req != nullptr) {
    if (auto v = num(req->attr_or("maxstanzas"))) max_stanzas = std::min(max_stanzas, *v);
    max_chars = num(req->attr_or("maxchars"));
    if (auto v = num(req->attr_or("seconds"))) since = env_.now() - std::chrono::seconds(*v);
    if (auto t = parse_timestamp(req->attr_or("since"))) {
      if (!since || *t > *since) since = *t;
    }
  }
  // Walk back from the newest until a limit is reached, then send oldest first.
  std::size_t first = history_.size();
  std::size_t chars = 0;
  while (first > 0 && history_.size() - first < max_stanzas) {
    const HistoryEntry& h = history_[first - 1];
    if (since && h.ts < *since) break;
    if (max_chars && chars + h.chars > *max_chars) break;
    chars += h.chars;
    --first;
  }
  for (std::size_t i = first; i < history_.size(); ++i) {
    Element m = history_[i].message;
    m.set_attr("to", session.full());
    m.add_child("delay", std::string(ns::kDelay))
        .set_attr("from", jid_.bare_string())
        .set_attr("stamp", format_timestamp(history_[i].ts));
    send(std::move(m));
  }
}

void Room::send_status_message(const std::vector<int>& codes) {
  Element m = xmpp::make_stanza("message", "groupchat", jid_.bare_string(), "", env_.new_id());
  Element& x = m.add_child("x", std::string(ns::kMucUser));
  for (int c : codes) {
    x.add_child("status", std::string(ns::kMucUser)).set_attr("code", std::to_string(c));
  }
  reflect(m);
}

}  // namespace conclave::component

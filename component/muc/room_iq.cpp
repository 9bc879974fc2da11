// Room IQs: dispatch (features first, room_feature.h), disco#info (XEP-0045 §6.4), IQs between
// occupants (§7.5), owner configuration (§10.1-§10.2) and destruction (§10.9).
#include "component/muc/room.h"
#include "component/rooms/namespaces.h"
#include "xmpp/disco.h"
#include "xmpp/namespaces.h"

namespace conclave::component {

using xmpp::Element;
using xmpp::Jid;
using xmpp::StanzaCondition;

void Room::on_iq(const Pending& p) {
  if (!p.to.resource().empty()) {
    on_occupant_iq(p);
    return;
  }
  if (!xmpp::is_iq_request(p.stanza)) {
    if (const xmpp::IqType type = xmpp::iq_type_of(p.stanza);
        type == xmpp::IqType::get || type == xmpp::IqType::set) {
      send_error(p.stanza, StanzaCondition::bad_request);
    }
    return;  // results and errors addressed to the room itself: nothing is waiting for them
  }
  const Element& q = *xmpp::iq_payload(p.stanza);
  const xmpp::IqType type = xmpp::iq_type_of(p.stanza);
  if (locked_ && affiliation_of(p.from.bare_string()) != Affiliation::owner) {
    send_error(p.stanza, StanzaCondition::item_not_found);  // a locked room does not exist yet
    return;
  }
  if (extensions_intercept_iq(p)) return;
  // Features first (room_features.cpp): registration answers one disco#info node itself.
  for (const RoomFeature* f : room_features()) {
    if (f->on_iq(*this, p.stanza, p.from, q)) return;
  }
  if (type == xmpp::IqType::get && q.is("query", xmpp::ns::kDiscoInfo)) {
    on_disco_info(p);
  } else if (type == xmpp::IqType::get && q.is("query", xmpp::ns::kDiscoItems)) {
    // Occupant lists are not published through disco (§6.5 allows an empty answer).
    send(xmpp::iq_result(p.stanza, xmpp::items_query({}, q.attr_or("node"))));
  } else if (q.is("query", ns::kMucOwner)) {
    on_owner(p, q);
  } else if (type == xmpp::IqType::get && q.is("query", ns::kMucAdmin)) {
    on_admin_get(p, q);
  } else if (type == xmpp::IqType::set && q.is("query", ns::kMucAdmin)) {
    on_admin_set(p, q);
  } else {
    send_error(p.stanza, StanzaCondition::service_unavailable);
  }
}

void Room::on_occupant_iq(const Pending& p) {
  Occupant* sender = by_session(p.from);
  const xmpp::IqType type = xmpp::iq_type_of(p.stanza);
  if (type == xmpp::IqType::result || type == xmpp::IqType::error) {
    // A reply from an occupant to a request we forwarded to it.
    auto it = forwarded_iqs_.find(std::string(xmpp::id_of(p.stanza)));
    if (it == forwarded_iqs_.end() || sender == nullptr || sender->nick != it->second.target_nick) {
      return;
    }
    Element reply = p.stanza;
    reply.set_attr("id", it->second.original_id);
    reply.set_attr("from", occupant_jid(sender->nick));
    reply.set_attr("to", it->second.requester.full());
    forwarded_iqs_.erase(it);
    send(std::move(reply));
    return;
  }
  if (sender == nullptr) {
    // XEP-0410 §3: the answer that tells a client it is no longer joined.
    send_error(p.stanza, StanzaCondition::not_acceptable, "You are not in the room");
    return;
  }
  for (const RoomFeature* f : room_features()) {
    if (f->on_occupant_iq(*this, p.stanza, *sender, p.to)) return;  // self-ping, ...
  }
  Occupant* target = by_nick(p.to.resource());
  if (target == nullptr || target->sessions.empty()) {
    send_error(p.stanza, StanzaCondition::item_not_found, "No such occupant");
    return;
  }
  // §7.5 / Prosody: IQs to an occupant go to one of its sessions, with our own id so that the
  // reply can be routed back (ids from different senders could collide).
  if (forwarded_iqs_.size() >= 1000) forwarded_iqs_.erase(forwarded_iqs_.begin());
  const std::string id = env_.new_id();
  forwarded_iqs_[id] = {p.from, std::string(xmpp::id_of(p.stanza)), target->nick};
  Element fwd = p.stanza;
  fwd.set_attr("id", id);
  fwd.set_attr("from", occupant_jid(sender->nick));
  fwd.set_attr("to", target->sessions.front().full());
  send(std::move(fwd));
}

void Room::on_disco_info(const Pending& p) {
  xmpp::DiscoInfo info;
  info.identities.push_back(
      {"conference", "text", config_.name.empty() ? jid_.node() : config_.name, ""});
  for (std::string_view f :
       {ns::kMuc, std::string_view(config_.members_only ? "muc_membersonly" : "muc_open"),
        std::string_view(config_.non_anonymous() ? "muc_nonanonymous" : "muc_semianonymous"),
        std::string_view(config_.persistent ? "muc_persistent" : "muc_temporary"),
        std::string_view(config_.moderated ? "muc_moderated" : "muc_unmoderated"),
        std::string_view(config_.public_room ? "muc_public" : "muc_hidden"), ns::kStableId,
        ns::kOccupantId, xmpp::ns::kDiscoInfo}) {
    info.add_feature(f);
  }
  for (const RoomFeature* f : room_features()) f->describe(*this, info);
  xmpp::DataForm form;
  form.type = xmpp::FormType::result;
  form.set_form_type(std::string(ns::kRoomInfo));
  auto add = [&](std::string var, std::string label, std::string value) {
    form.add(std::move(var), xmpp::FieldType::text_single, std::move(label), {std::move(value)});
  };
  add("muc#roomconfig_roomname", "Name", config_.name);
  add("muc#roominfo_description", "Description", config_.description);
  // §16.5.4; empty when the owner has not set muc#roomconfig_lang, as Prosody's.
  add("muc#roominfo_lang", "Natural Language for Room Discussions", config_.lang);
  add("muc#roominfo_subject", "Subject", subject_);
  add("muc#roominfo_occupants", "Occupants", std::to_string(occupants_.size()));
  // Who may change the subject, under the three names clients read: the registry's
  // muc#roominfo_subjectmod (§16.5.4), §6.4's example (and Prosody's) muc#roomconfig_changesubject,
  // and muc#roominfo_changesubject (ejabberd's; Conversations reads it).
  for (const char* var :
       {"muc#roominfo_subjectmod", "muc#roomconfig_changesubject", "muc#roominfo_changesubject"}) {
    form.add(var, xmpp::FieldType::boolean, "Occupants may change the subject",
             {config_.change_subject ? "1" : "0"});
  }
  form.add("muc#roomconfig_allowinvites", xmpp::FieldType::boolean, "Occupants may invite",
           {config_.allow_invites ? "1" : "0"});
  form.add("muc#roomconfig_allowpm", xmpp::FieldType::text_single, "Who may send private messages",
           {std::string(to_string(config_.allow_pm))});
  add("muc#maxhistoryfetch", "Messages replayed on join", std::to_string(config_.max_history));
  for (const RoomFeature* f : room_features()) f->add_info_fields(*this, form);
  for (const RoomExtension* x : env_.extensions) x->describe_room(*this, info, form);
  info.extensions.push_back(std::move(form));
  send(xmpp::iq_result(p.stanza, info.to_query(p.stanza.first_child()->attr_or("node"))));
}

void Room::on_owner(const Pending& p, const Element& q) {
  if (affiliation_of(p.from.bare_string()) != Affiliation::owner) {
    send_error(p.stanza, StanzaCondition::forbidden, "Only owners may do this");
    return;
  }
  if (xmpp::iq_type_of(p.stanza) == xmpp::IqType::get) {
    Element reply("query", std::string(ns::kMucOwner));
    reply.add_child(config_form(config_, env_.max_history).to_element());
    send(xmpp::iq_result(p.stanza, std::move(reply)));
    return;
  }
  if (const Element* d = q.child("destroy", ns::kMucOwner)) {
    on_destroy(p, *d);
    return;
  }
  auto form = xmpp::find_data_form(q);
  if (!form || !*form) {
    send_error(p.stanza, StanzaCondition::bad_request);
    return;
  }
  if ((*form)->type == xmpp::FormType::cancel) {
    // §10.1.3: cancelling the initial configuration destroys the new room.
    if (locked_) {
      Element none("destroy", std::string(ns::kMucOwner));
      on_destroy(p, none);
      return;
    }
    send(xmpp::iq_result(p.stanza));
    return;
  }
  if ((*form)->type != xmpp::FormType::submit) {
    send_error(p.stanza, StanzaCondition::bad_request);
    return;
  }
  on_config_submit(p, **form);
}

void Room::on_config_submit(const Pending& p, const xmpp::DataForm& form) {
  RoomConfig staged = config_;
  if (!apply_config_form(staged, form, env_.max_history)) {
    send_error(p.stanza, StanzaCondition::not_acceptable, "Invalid configuration value");
    return;
  }
  if (auto refusal = group_refuses_config(staged)) {
    send_error(p.stanza, refusal->condition, std::move(refusal->text));
    return;
  }
  const RoomConfig old = config_;
  std::swap(config_, staged);
  RoomRecord rec = record();
  std::swap(config_, staged);
  RoomStore* store = env_.rooms;
  await<Status>([store, rec] { return store->save(rec); },
                [this, p, staged, old](Status s) {
                  if (!s) {
                    log(LogLevel::error, "saving the configuration of " + jid_.bare_string() +
                                             " failed: " + s.error().message());
                    send_error(p.stanza, StanzaCondition::internal_server_error);
                    return;
                  }
                  config_ = staged;
                  locked_ = false;  // §10.1.2/§10.1.3: instant or reserved, now open
                  while (history_.size() > config_.max_history) history_.pop_front();
                  send(xmpp::iq_result(p.stanza));
                  if (config_.members_only && !old.members_only) {
                    extensions_membership_changed();  // non-members leave the MLS group
                  }
                  // §10.2.1: tell the occupants what changed. The first submission too, which
                  // unlocks a new room (§10.1.2/§10.1.3): its configuration and its disco#info
                  // change then (a locked room answers only its owners), and clients such as
                  // Gajim refetch the room's disco#info on 104 (non-anonymous, MAM, ...);
                  // 172/173 when the whois default changed as well.
                  std::vector<int> codes{104};
                  if (old.whois != config_.whois)
                    codes.push_back(config_.non_anonymous() ? 172 : 173);
                  send_status_message(codes);
                  fmuc_config_changed(old);  // links formed or ended (room_fmuc.cpp)
                  if (config_.members_only && !old.members_only) {
                    std::vector<std::string> out;
                    for (const auto& o : occupants_) {
                      if (affiliation_of(o->bare.bare_string()) < Affiliation::member) {
                        out.push_back(o->nick);
                      }
                    }
                    for (const auto& nick : out) remove_occupant(nick, {322});
                  } else if (config_.persistent != old.persistent) {
                    maybe_vanish();
                  }
                });
}

void Room::on_destroy(const Pending& p, const Element& destroy) {
  const std::string* alt = destroy.attr("jid");
  destroy_store(destroy.child_text("reason", ns::kMucOwner), alt ? *alt : std::string(),
                destroy.child_text("password", ns::kMucOwner), [this, p](Status s) {
                  if (!s) {
                    send_error(p.stanza, StanzaCondition::internal_server_error);
                    return;
                  }
                  send(xmpp::iq_result(p.stanza));
                });
}

void Room::destroy_room(std::string reason, std::string alternate,
                        std::function<void(Status)> done) {
  Pending p;
  p.task = [this, reason = std::move(reason), alternate = std::move(alternate),
            done = std::move(done)]() mutable {
    if (gone_) {
      done(Status{});  // destroyed while this waited: the outcome asked for holds
      return;
    }
    destroy_store(std::move(reason), std::move(alternate), "", std::move(done));
  };
  enqueue(std::move(p));
}

void Room::destroy_store(std::string reason, std::string alternate, std::string password,
                         std::function<void(Status)> done) {
  const RoomJid room = room_jid();
  RoomStore* store = env_.rooms;
  await<Status>([store, room] { return store->destroy(room); },
                [this, reason, alternate, password, room, done](Status s) {
                  if (!s) {
                    log(LogLevel::error,
                        "destroying " + room.str() + " failed: " + s.error().message());
                    done(s);
                    return;
                  }
                  // §10.9: every occupant gets an unavailable presence carrying <destroy/>,
                  // with the alternate venue, its password and the reason when given. The
                  // item says affiliation none, as in the XEP's example: the room, and with it
                  // every affiliation, is gone.
                  Element d("destroy", std::string(ns::kMucUser));
                  if (!alternate.empty()) d.set_attr("jid", alternate);
                  if (!reason.empty())
                    d.add_child("reason", std::string(ns::kMucUser)).set_text(reason);
                  if (!password.empty())
                    d.add_child("password", std::string(ns::kMucUser)).set_text(password);
                  for (const auto& o : occupants_) {
                    Element u = occupant_presence(*o, o.get(), {}, false, true);
                    Element* x = u.child("x", ns::kMucUser);
                    x->child("item", ns::kMucUser)
                        ->set_attr("affiliation", std::string(to_string(Affiliation::none)));
                    x->add_child(d);
                    send_to_sessions(*o, u);
                  }
                  occupants_.clear();
                  gone_ = true;
                  done(s);
                  log(LogLevel::info, "room destroyed: " + room.str());
                  if (env_.room_gone) env_.room_gone(room);
                });
}

}  // namespace conclave::component

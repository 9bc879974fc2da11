#include "component/muc/muc_service.h"

#include <exception>

#include "component/rooms/namespaces.h"
#include "xmpp/disco.h"
#include "xmpp/namespaces.h"

namespace conclave::component {

using xmpp::Element;
using xmpp::Jid;
using xmpp::StanzaCondition;

MucService::MucService(ServiceInfo info, RoomEnv env)
    : info_(std::move(info)), env_(std::move(env)), started_(env_.now()) {
  auto previous = env_.room_gone;
  env_.room_gone = [this, previous](const RoomJid& room) {
    rooms_.erase(room);  // the room keeps itself alive until its current call returns
    for (RoomExtension* x : env_.extensions) x->room_gone(room);
    if (previous) previous(room);
  };
}

Result<std::size_t> MucService::load() {
  if (auto s = env_.rooms->purge_temporary(); !s) return fail(s.error());
  auto records = env_.rooms->load_persistent();
  if (!records) return fail(records.error());
  for (const RoomRecord& rec : *records) {
    auto recent = env_.archive->recent(rec.jid, env_.max_history);
    if (!recent) return fail(recent.error());
    auto room = Room::from_record(env_, rec, *recent);
    rooms_[rec.jid] = std::move(room);
  }
  return records->size();
}

void MucService::forget_all() { rooms_.clear(); }

void MucService::shutdown() {
  for (const auto& [bare, room] : rooms_) room->shutdown();
}

std::shared_ptr<Room> MucService::find_room(const RoomJid& jid) const {
  auto it = rooms_.find(jid);
  return it == rooms_.end() ? nullptr : it->second;
}

const Room* MucService::room(std::string_view jid) const {
  auto parsed = RoomJid::parse(jid);
  return parsed ? find_room(*parsed).get() : nullptr;
}

void MucService::log(LogLevel level, const std::string& line) const {
  if (env_.services->log) env_.services->log(level, line);
}

void MucService::dispatch(Element stanza) {
  try {
    auto from = xmpp::from_jid(stanza);
    auto to = xmpp::to_jid(stanza);
    if (!from || !to) {
      // The server validates addresses; a bad one here is a misrouted stanza.
      log(LogLevel::warn, "dropping a stanza with an invalid from/to address");
      return;
    }
    if (to->domain() != info_.domain) {
      // Misrouted: answer as the service. The swapped `from` would name another domain, and
      // the XMPP server refuses a component stanza from a domain that is not the component's.
      if (auto r =
              xmpp::error_reply(stanza, xmpp::StanzaError::of(StanzaCondition::item_not_found))) {
        r->set_attr("from", info_.domain);
        env_.services->out->send(std::move(*r));
      }
      return;
    }
    if (to->node().empty()) {
      on_service_stanza(stanza);
      return;
    }
    // A node@domain JID, normalised by Jid::parse, is a valid room address (GroupHost::room_jid
    // relies on it too); anything else would be a parser bug, answered as a room that does not
    // exist rather than a room that cannot name itself.
    auto bare = room_jid_of(to->bare());
    if (!bare) {
      log(LogLevel::error, "not a room address: " + to->bare_string());
      if (auto r =
              xmpp::error_reply(stanza, xmpp::StanzaError::of(StanzaCondition::item_not_found))) {
        env_.services->out->send(std::move(*r));
      }
      return;
    }
    auto it = rooms_.find(*bare);
    std::shared_ptr<Room> room;
    if (it != rooms_.end()) {
      room = it->second;
    } else {
      const bool join = xmpp::kind_of(stanza) == xmpp::StanzaKind::presence &&
                        xmpp::presence_type_of(stanza) == xmpp::PresenceType::available &&
                        !to->resource().empty() && stanza.child("x", ns::kMuc) != nullptr;
      if (!join) {
        if (xmpp::kind_of(stanza) == xmpp::StanzaKind::presence) {
          if (xmpp::presence_type_of(stanza) == xmpp::PresenceType::available &&
              !to->resource().empty()) {
            // No MUC element: not a join; tell the client it is not in this room.
            Element u = xmpp::make_stanza("presence", "unavailable", to->full(), from->full(), "");
            Element& x = u.add_child("x", std::string(ns::kMucUser));
            x.add_child("item", std::string(ns::kMucUser))
                .set_attr("affiliation", std::string(to_string(Affiliation::none)))
                .set_attr("role", std::string(to_string(Role::none)));
            for (int c : {110, 307, 333}) {
              x.add_child("status", std::string(ns::kMucUser)).set_attr("code", std::to_string(c));
            }
            env_.services->out->send(std::move(u));
          }
          return;
        }
        // XEP-0045 §7.2 / §6.4: a room that does not exist.
        if (auto r =
                xmpp::error_reply(stanza, xmpp::StanzaError::of(StanzaCondition::item_not_found))) {
          env_.services->out->send(std::move(*r));
        }
        return;
      }
      room = Room::make_new(env_, to->bare());
      rooms_[*bare] = room;
    }
    room->handle(std::move(stanza), std::move(*from), std::move(*to));
  } catch (const std::exception& e) {
    log(LogLevel::error, std::string("exception while routing a stanza: ") + e.what());
    if (auto r = xmpp::error_reply(stanza,
                                   xmpp::StanzaError::of(StanzaCondition::internal_server_error))) {
      env_.services->out->send(std::move(*r));
    }
  }
}

void MucService::on_service_stanza(const Element& stanza) {
  if (xmpp::kind_of(stanza) != xmpp::StanzaKind::iq) return;  // messages/presence to the service
  if (!xmpp::is_iq_request(stanza)) {
    const xmpp::IqType type = xmpp::iq_type_of(stanza);
    if (type == xmpp::IqType::get || type == xmpp::IqType::set) {
      if (auto r = xmpp::error_reply(stanza, xmpp::StanzaError::of(StanzaCondition::bad_request))) {
        env_.services->out->send(std::move(*r));
      }
    }
    return;
  }
  for (RoomExtension* x : env_.extensions) {
    if (x->on_service_iq(stanza)) return;  // urn:xmpp:mls:0
  }
  // XEP-0050: the command list, each command's disco#info, and <command/> executions.
  if (commands_.handle(stanza,
                       [this](Element reply) { env_.services->out->send(std::move(reply)); })) {
    return;
  }
  const Element& q = *xmpp::iq_payload(stanza);
  const bool get = xmpp::iq_type_of(stanza) == xmpp::IqType::get;
  if (get && q.is("query", xmpp::ns::kDiscoInfo) && q.attr_or("node").empty()) {
    xmpp::DiscoInfo info;
    info.identities.push_back({"conference", "text", info_.name, ""});
    // urn:xmpp:mam:2: every room keeps a MAM archive on its bare JID (XEP-0313 §3.3.2 "MUC
    // archives"). XEP-0313 §7 asks only the archiving JIDs (the rooms) to advertise it; the
    // service lists it too, as Prosody's and ejabberd's MUC services do, for clients that look
    // for it there before they join.
    for (std::string_view f :
         {ns::kMuc, xmpp::ns::kDiscoInfo, xmpp::ns::kDiscoItems, ns::kPing, ns::kStableId,
          ns::kSelfPingOpt, ns::kOccupantId, ns::kMam, xmpp::ns::kCommands}) {
      info.add_feature(f);
    }
    for (const RoomExtension* x : env_.extensions) x->describe_service(info);
    env_.services->out->send(xmpp::iq_result(stanza, info.to_query()));
    return;
  }
  if (get && q.is("query", xmpp::ns::kDiscoItems) && q.attr_or("node").empty()) {
    // XEP-0045 §6.3: public, open rooms only.
    std::vector<xmpp::DiscoItem> items;
    for (const auto& [bare, room] : rooms_) {
      if (room->locked() || !room->config().public_room) continue;
      items.push_back(
          {bare.str(), "", room->config().name.empty() ? room->jid().node() : room->config().name});
    }
    env_.services->out->send(xmpp::iq_result(stanza, xmpp::items_query(items)));
    return;
  }
  if (get && q.is("ping", ns::kPing)) {
    env_.services->out->send(xmpp::iq_result(stanza));
    return;
  }
  const auto cond = q.is("query", xmpp::ns::kDiscoInfo) || q.is("query", xmpp::ns::kDiscoItems)
                        ? StanzaCondition::item_not_found
                        : StanzaCondition::service_unavailable;
  if (auto r = xmpp::error_reply(stanza, xmpp::StanzaError::of(cond))) {
    env_.services->out->send(std::move(*r));
  }
}

}  // namespace conclave::component

// The room's subject (XEP-0045 §8.1): who may change it, the change archived and saved before
// occupants see it, and the subject message that ends every join (§7.2.15).
#include "component/muc/room.h"
#include "component/rooms/namespaces.h"
#include "xmpp/serializer.h"

namespace conclave::component {

using xmpp::Element;
using xmpp::Jid;
using xmpp::StanzaCondition;

void Room::on_subject_change(const Pending& p, const Occupant& o, std::string subject) {
  if (!config_.change_subject && o.role != Role::moderator) {
    send_error(p.stanza, StanzaCondition::forbidden, "Only moderators may change the subject");
    return;
  }
  // Like any message: archived (and, in a persistent room, saved with the room) before anyone
  // sees it; the room's subject changes only once both are durable.
  const TimePoint when = env_.now();
  auto batch = std::make_shared<std::vector<Staged>>();
  batch->push_back(stage(p.stanza, o, when));
  std::vector<ArchivedMessage> rows{batch->front().row};
  const bool save_room = config_.persistent;
  const RoomRecord rec = save_room ? record_with_subject(subject, o.nick, when) : RoomRecord{};
  ArchiveStore* archive = env_.archive;
  RoomStore* rooms = env_.rooms;
  await<Status>(
      [archive, rooms, rows = std::move(rows), save_room, rec]() -> Status {
        if (auto s = archive->append_batch(rows); !s) return s;
        if (save_room) return rooms->save(rec);
        return {};
      },
      [this, batch, subject = std::move(subject), nick = o.nick, when](Status s) {
        if (!s) return archive_failed(*batch, s.error());
        subject_ = subject;
        subject_nick_ = nick;
        subject_time_ = when;
        reflect(batch->front().reflected);
      });
}

RoomRecord Room::record_with_subject(std::string subject, std::string nick, TimePoint when) const {
  RoomRecord r = record();
  r.settings[std::string(kSubjectKey)] = std::move(subject);
  r.settings[std::string(kSubjectNickKey)] = std::move(nick);
  r.settings[std::string(kSubjectTimeKey)] = format_timestamp(when);
  return r;
}

void Room::send_subject(const Jid& session) {
  // §7.2.15: the subject comes last, always, empty if none; it tells the client the join ended.
  const std::string from = subject_nick_.empty() ? jid_.bare_string() : occupant_jid(subject_nick_);
  Element m = xmpp::make_stanza("message", "groupchat", from, session.full(), env_.new_id());
  m.add_child("subject", std::string(kComponentNs)).set_text(subject_);
  if (subject_time_) {
    // §7.2.15: stamped with XEP-0203 <delay/> from the room itself and the time the subject was
    // set, so that clients show it as set then rather than changed as they join. A room whose
    // subject was never set sends none (the XEP allows that; there is no time to give).
    m.add_child("delay", std::string(ns::kDelay))
        .set_attr("from", jid_.bare_string())
        .set_attr("stamp", format_timestamp(*subject_time_));
  }
  send(std::move(m));
}

}  // namespace conclave::component

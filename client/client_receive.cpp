// Client: what the client does with received stanzas (docs/protocol.md §6-§8).
#include <algorithm>

#include "client/client.h"
#include "client/client_room.h"
#include "mls/codec/codec.h"
#include "mls/group/welcome_crypto.h"
#include "xmpp/jid.h"
#include "xmpp/stanza.h"

namespace conclave::client {

using xmpp::Element;

namespace {

std::string message_text(mls::ByteView data) { return std::string(data.begin(), data.end()); }

}  // namespace

void Client::handle(const Element& stanza) {
  if (stanza.name() == "message") {
    handle_message(stanza, false, {});
  } else if (stanza.name() == "presence") {
    handle_presence(stanza);
  } else if (stanza.name() == "iq") {
    handle_iq(stanza);
  }
}

void Client::handle_iq(const Element& iq) {
  const xmpp::IqType type = xmpp::iq_type_of(iq);
  if (type != xmpp::IqType::get && type != xmpp::IqType::set) return;  // answers nobody awaits
  Element reply("iq", std::string(ns::kClient));
  reply.set_attr("id", std::string(iq.attr_or("id")));
  if (const std::string* from = iq.attr("from")) reply.set_attr("to", *from);
  if (type == xmpp::IqType::get && iq.child("ping", ns::kPing) != nullptr) {
    reply.set_attr("type", "result");  // XEP-0199 §4
  } else {
    // RFC 6120 §8.2.3: an IQ request nobody handles gets <service-unavailable/>.
    reply.set_attr("type", "error");
    Element& err = reply.add_child("error", std::string(ns::kClient));
    err.set_attr("type", "cancel");
    err.add_child("service-unavailable", std::string(ns::kStanzas));
  }
  transport_.send(std::move(reply));
}

void Client::handle_presence(const Element& p) {
  auto from = xmpp::Jid::parse(p.attr_or("from"));
  if (!from || from->resource().empty()) return;
  Room* r = find_room(from->bare_string());
  if (r == nullptr) return;
  const std::string& nick = from->resource();
  const xmpp::PresenceType type = xmpp::presence_type_of(p);
  const auto codes = muc_status_codes(p);
  const bool self = std::find(codes.begin(), codes.end(), 110) != codes.end();
  if (type == xmpp::PresenceType::unavailable) {
    r->occupants.erase(nick);
    if (self) r->joined = false;
  } else if (type == xmpp::PresenceType::available) {
    r->occupants[nick] = muc_item_jid(p);
    if (self) r->joined = true;
  }
}

void Client::handle_message(const Element& m, bool from_archive, std::string archive_id) {
  auto payload = parse_room_payload(m);
  auto from = xmpp::Jid::parse(m.attr_or("from"));
  if (!from) return;
  const std::string room = from->bare_string();
  if (payload && payload->has_value() && (*payload)->kind == RoomPayload::Kind::welcome) {
    handle_welcome(room, (*payload)->data, (*payload)->epoch.value_or(0), (*payload)->chain);
    return;
  }
  Room* r = find_room(room);
  if (r == nullptr) return;              // not a room of ours
  if (xmpp::is_error_stanza(m)) return;  // answers to our sends are matched by send()
  if (from->resource().empty()) {
    // A federated room's link to another node was lost or is back (docs/protocol.md §6.14):
    // shown and logged; the room's users on the other side leave and come back by presence.
    for (const char* kind : {"netsplit", "healed"}) {
      if (const Element* n = m.child(kind, ns::kMls)) {
        emit({kind, room, "", "", "", epoch(room), std::string(n->attr_or("node"))});
        return;
      }
    }
  }
  if (!from_archive) archive_id = stanza_id_by(m, room);
  // Read already (a catch-up fills a gap and then meets the message that revealed it).
  if (!archive_id.empty() && r->recent_ids.count(archive_id) != 0) return;
  auto remember = [this, &room, &archive_id] {
    Room* now = find_room(room);
    if (now == nullptr || archive_id.empty() || !now->recent_ids.insert(archive_id).second) return;
    now->recent_order.push_back(archive_id);
    if (now->recent_order.size() > kRecentIds) {
      now->recent_ids.erase(now->recent_order.front());
      now->recent_order.pop_front();
    }
  };
  // An archived message is remembered before it is handled. A live one only after: a live
  // message of an epoch ahead of ours starts a catch-up, which must read the archived copy of
  // this very message on its way. Remembered first, that copy was skipped as a duplicate, and
  // when the catch-up went more than kPastEpochs past the message's epoch the live copy could
  // not be read either: the message was lost to this member without a word (found by the
  // failover suite's invariant (3): a late reflection handed over by a paused instance).
  if (from_archive) remember();
  if (payload) {
    if (!payload->has_value()) {
      emit({"error", room, "", from->resource(), "", std::nullopt, "malformed MLS payload"});
    } else {
      RoomPayload& pl = **payload;
      switch (pl.kind) {
        case RoomPayload::Kind::commit:
          if (r->group) {
            if (*pl.epoch > r->group->epoch()) {
              // A gap: read what we missed, in order (§7).
              if (auto s = fill_gap(room); !s) {
                emit({"error", room, "", "", "", epoch(room),
                      "catch-up failed: " + s.error().message()});
              }
            } else if (*pl.epoch == r->group->epoch()) {
              (void)apply_commit(*r, pl.data, *pl.epoch, pl.chain);
            }
          }
          break;
        case RoomPayload::Kind::proposal:
          if (r->group) handle_proposal(*r, pl.data, *pl.epoch);
          break;
        case RoomPayload::Kind::encrypted:
          if (std::find(r->record.own_ids.begin(), r->record.own_ids.end(), m.attr_or("id")) ==
              r->record.own_ids.end()) {
            handle_encrypted(*r, m, pl.data, from_archive);
          }
          break;
        case RoomPayload::Kind::welcome:
          break;
      }
    }
  }
  if (!from_archive) remember();
  r = find_room(room);
  if (r != nullptr && !archive_id.empty() && archive_id != r->record.last_stanza_id) {
    r->record.last_stanza_id = archive_id;
    if (auto s = save(*r); !s)
      emit({"error", room, "", "", "", epoch(room), "saving state failed"});
  }
}

Status Client::apply_commit(Room& r, mls::ByteView data, std::uint64_t commit_epoch,
                            const std::optional<mls::Bytes>& chain) {
  const std::string room = r.record.room;
  auto fail_event = [&](const std::string& why) {
    emit({"error", room, "", "", "", r.group ? std::optional(r.group->epoch()) : std::nullopt,
          "commit for epoch " + std::to_string(commit_epoch) + " rejected: " + why});
  };
  auto msg = mls::decode<mls::MlsMessage>(data);
  if (!msg) {
    fail_event("malformed");
    return fail(Errc::bad_response);
  }
  auto staged = r.group->stage_commit(*msg);
  if (!staged) {
    fail_event(staged.error().message());
    return fail(staged.error());
  }
  std::string committer;
  if (const auto* pm = std::get_if<mls::PublicMessage>(&msg->message)) {
    if (const auto* ms = std::get_if<mls::MemberSender>(&pm->content.sender.value)) {
      if (auto leaf = r.group->tree().leaf_node(mls::LeafIndex{ms->leaf_index})) {
        committer = identity_of(*leaf);
      }
    } else if (pm->content.sender.type() == mls::SenderType::new_member_commit) {
      committer = "(external commit)";
    }
  }
  if (staged->removes_self()) {
    r.group.reset();
    if (auto s = save(r); !s) return s;
    emit({"removed", room, committer, "", "", std::nullopt, "removed by a commit"});
    return {};
  }
  advance(r, std::move(*staged).merge());
  follow_chain(r, data, chain);
  if (auto s = save(r); !s) return s;
  emit({"commit", room, committer, "", "", r.group->epoch(), "", chain_hex(r)});
  read_waiting(room);
  return {};
}

void Client::handle_proposal(Room& r, mls::ByteView data, std::uint64_t epoch) {
  if (epoch < r.group->epoch()) return;  // an old epoch's proposal: already committed or void
  if (epoch > r.group->epoch()) {
    if (auto s = sync_commits(r.record.room); !s) return;
  }
  Room* now = find_room(r.record.room);
  if (now == nullptr || !now->group || now->group->epoch() != epoch) return;
  auto msg = mls::decode<mls::MlsMessage>(data);
  Status s = msg ? now->group->handle_proposal(*msg) : Status(fail(Errc::bad_response));
  if (!s) {
    emit({"error", now->record.room, "", "", "", epoch,
          "proposal rejected: " + s.error().message()});
    return;
  }
  (void)save(*now);
  emit({"proposal", now->record.room, "", "", "", epoch, ""});
}

void Client::handle_encrypted(Room& r, const Element& m, mls::ByteView data, bool from_archive) {
  const std::string room = r.record.room;
  auto from = xmpp::Jid::parse(m.attr_or("from"));
  const std::string nick = from ? from->resource() : std::string();
  auto report = [&](const std::string& why) {
    emit({"error", room, "", nick, "", epoch(room), why});
  };
  if (!r.group) return;
  auto msg = mls::decode<mls::MlsMessage>(data);
  const auto* pm = msg ? std::get_if<mls::PrivateMessage>(&msg->message) : nullptr;
  if (pm == nullptr) {
    report("undecryptable: not a PrivateMessage");
    return;
  }
  mls::Group* reader = nullptr;  // the group of the message's epoch
  if (pm->epoch < r.group->epoch()) {
    // A message of a recent epoch that arrived after the commit ending it (the service admits
    // those, docs/protocol.md §8): read it with that epoch's group if still kept. Older ones'
    // keys are gone (forward secrecy); archived history from before we joined or before our
    // last commit is expected to be unreadable.
    for (mls::Group& g : r.past) {
      if (g.epoch() == pm->epoch) reader = &g;
    }
    if (reader == nullptr) {
      if (!from_archive) report("undecryptable: epoch " + std::to_string(pm->epoch) + " is past");
      return;
    }
  }
  bool caught_up = false;
  if (pm->epoch > r.group->epoch()) {
    caught_up = true;
    if (auto s = fill_gap(room); !s) {
      report("undecryptable: cannot reach epoch " + std::to_string(pm->epoch));
      return;
    }
  }
  Room* now = find_room(room);
  if (now == nullptr || !now->group) return;
  if (reader == nullptr && pm->epoch > now->group->epoch()) {
    // Still behind: the commit leading there is ours and its answer has not arrived, or it is
    // not readable yet. Keep the message until the group gets there (read_waiting).
    if (now->waiting.size() >= kWaitingMax) {
      report("undecryptable: too many messages waiting for epoch " +
             std::to_string(now->waiting.front().epoch));
      now->waiting.pop_front();
    }
    now->waiting.push_back({m, mls::Bytes(data.begin(), data.end()), pm->epoch, from_archive});
    return;
  }
  if (reader == nullptr && caught_up && pm->epoch < now->group->epoch()) {
    // The catch-up went past this message's epoch: it read the archived copy of this very
    // message on the way (or reported it), so this live copy is done.
    for (mls::Group& g : now->past) {
      if (g.epoch() == pm->epoch) reader = &g;
    }
    if (reader == nullptr) return;
  }
  if (reader == nullptr) reader = &*now->group;
  auto app = reader->unprotect_application(*msg);
  if (!app) {
    // After a catch-up the archived copy was read already (its generation is spent).
    if (!caught_up) report("undecryptable: " + app.error().message());
    return;
  }
  auto leaf = reader->tree().leaf_node(app->sender);
  const std::string identity = leaf ? identity_of(*leaf) : std::string();
  // docs/protocol.md §8: the sender leaf must belong to the occupant who sent the message. Live,
  // the real JID comes from the occupant's presence only (a sender could put a muc#user item in
  // its own message); in the archive the room adds it to the forwarded message.
  std::string real;
  if (from_archive) {
    real = muc_item_jid(m);
  } else if (auto it = now->occupants.find(nick); it != now->occupants.end()) {
    real = it->second;
  }
  (void)save(*now);  // the consumed generation
  if (!real.empty() && real != identity) {
    report("sender mismatch: leaf " + identity + " sent as occupant " + real);
    return;
  }
  emit({"message", room, identity, nick, message_text(app->data), now->group->epoch(), ""});
}

void Client::read_waiting(const std::string& room) {
  for (;;) {
    Room* r = find_room(room);
    if (r == nullptr || !r->group) return;
    auto it = std::find_if(r->waiting.begin(), r->waiting.end(),
                           [&](const Room::Waiting& w) { return w.epoch <= r->group->epoch(); });
    if (it == r->waiting.end()) return;
    Room::Waiting w = std::move(*it);
    r->waiting.erase(it);
    handle_encrypted(*r, w.message, w.data, w.from_archive);
  }
}

std::vector<StoredKeyPackage>::iterator Client::package_for(const mls::Welcome& welcome) {
  return std::find_if(key_packages_.begin(), key_packages_.end(), [&](const StoredKeyPackage& k) {
    return std::any_of(welcome.secrets.begin(), welcome.secrets.end(),
                       [&](const mls::EncryptedGroupSecrets& s) { return s.new_member == k.ref; });
  });
}

void Client::handle_welcome(const std::string& room, mls::ByteView data, std::uint64_t epoch,
                            const std::optional<mls::Bytes>& chain) {
  if (Room* r = find_room(room); r != nullptr && r->group && r->group->epoch() >= epoch) {
    return;  // a copy of a Welcome we already used (offline storage and live delivery)
  }
  auto msg = mls::decode<mls::MlsMessage>(data);
  const auto* welcome = msg ? std::get_if<mls::Welcome>(&msg->message) : nullptr;
  if (welcome == nullptr) {
    emit({"error", room, "", "", "", std::nullopt, "malformed Welcome"});
    return;
  }
  auto kp = package_for(*welcome);
  if (kp == key_packages_.end()) {
    emit({"error", room, "", "", "", std::nullopt, "Welcome for none of our key packages"});
    // Normal for a Welcome that added only our other devices; but if it gave this device a
    // leaf through a package whose secrets we lost, that leaf is dead: replace it.
    recover_dead_leaf(room);
    return;
  }
  auto g = mls::Group::join(*suite_, *welcome, kp->bundle.key_package, kp->bundle.clone().secrets,
                            std::nullopt, {}, group_options());
  if (!g && g.error() == make_error_code(mls::Errc::invalid_value)) {
    // No ratchet_tree extension: the tree comes from the service (docs/protocol.md §5). It only
    // fits when no commit followed the Welcome's.
    if (auto reply = request(group_info_request(room))) {
      if (auto info = parse_group_info_reply(*reply)) {
        if (auto tree = mls::decode<mls::RatchetTree>(info->ratchet_tree)) {
          g = mls::Group::join(*suite_, *welcome, kp->bundle.key_package,
                               kp->bundle.clone().secrets, *tree, {}, group_options());
        }
      }
    }
  }
  if (!g) {
    emit({"error", room, "", "", "", std::nullopt, "Welcome rejected: " + g.error().message()});
    return;
  }
  Room& r = room_state(room);
  r.group.emplace(std::move(*g));
  r.record.chain = chain;  // where our chain starts: the service's word for the joined epoch
  if (auto s = save(r); !s) {
    emit({"error", room, "", "", "", std::nullopt, "saving state failed"});
    return;
  }
  // A one-time package is spent (the service deleted it); the last-resort one stays usable.
  if (!kp->last_resort) {
    (void)store_.remove_key_package(kp->ref, false);
    key_packages_.erase(kp);
  }
  emit({"joined", room, bare_jid_, r.record.nick, "", r.group->epoch(), "welcome", chain_hex(r)});
  if (!r.joined) {
    if (auto s = enter(room); !s)
      emit({"error", room, "", "", "", this->epoch(room), "entering the room failed"});
  }
  if (has_group(room)) (void)sync_commits(room);
  (void)replenish_key_packages();
}

}  // namespace conclave::client

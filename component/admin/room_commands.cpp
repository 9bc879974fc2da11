// Admin commands on rooms: list every room (hidden and locked ones too) and destroy a room
// (XEP-0045 §10.9 to its occupants, answered once the store has deleted it).
#include <memory>
#include <string>
#include <vector>

#include "component/admin/admin_area.h"

namespace conclave::component::admin {
namespace {

using xmpp::CommandAction;
using xmpp::CommandContext;
using xmpp::CommandResponse;
using xmpp::DataForm;
using xmpp::FieldType;
using xmpp::FormType;
using xmpp::NoteType;
using xmpp::StanzaCondition;
using xmpp::StanzaError;

// One line per room for people reading the result: what an admin checks before acting.
std::string room_line(const Room& room, const ds::DeliveryService* mls,
                      const cluster::LeaseKeeper* cluster) {
  std::string line = room.jid().bare_string();
  line += " occupants=" + std::to_string(room.occupant_count());
  line += room.config().persistent ? " persistent" : " temporary";
  if (room.config().members_only) line += " members-only";
  if (!room.config().public_room) line += " hidden";
  if (room.locked()) line += " locked";
  if (mls != nullptr) {
    if (auto epoch = mls->epoch_of(room.room_jid())) {
      line += " mls-epoch=" + std::to_string(epoch->value());
    }
  }
  if (cluster != nullptr) {
    // Who sequences the room (docs/cluster.md): its shard and this instance's lease term on
    // it, or "not held" (mid-failover).
    const std::uint32_t shard = shard_of(room.room_jid().str(), cluster->settings().shards);
    line += " shard=" + std::to_string(shard);
    if (auto lease = cluster->fence_for(room.room_jid().str())) {
      line += " holder=" + cluster->holder() + " term=" + std::to_string(lease->term);
    } else {
      line += " holder=(not this instance)";
    }
  }
  return line;
}

CommandResponse list_rooms(const AdminTarget& target) {
  MucService& service = target.service;
  DataForm f = result_form("Rooms");
  std::vector<std::string> jids;
  std::vector<std::string> lines;
  for (const auto& [bare, room] : service.rooms()) {
    if (room->gone()) continue;
    jids.push_back(bare.str());
    lines.push_back(room_line(*room, target.mls, target.cluster));
  }
  f.add("count", FieldType::text_single, "Number of rooms", {std::to_string(jids.size())});
  f.add("rooms", FieldType::jid_multi, "Rooms", std::move(jids));
  f.add("details", FieldType::text_multi, "Details", std::move(lines));
  return CommandResponse::completed({}, std::move(f));
}

DataForm destroy_form() {
  DataForm f;
  f.type = FormType::form;
  f.title = "Destroy a room";
  f.instructions.push_back(
      "The room, its configuration, affiliations, archive and MLS group are deleted; its "
      "occupants are told (XEP-0045 §10.9).");
  f.set_form_type(std::string(kAdminFormType));
  f.add("roomjid", FieldType::jid_single, "Room").required = true;
  f.add("reason", FieldType::text_single, "Reason told to the occupants");
  f.add("alternate", FieldType::jid_single, "Alternate venue (optional)");
  return f;
}

CommandResponse destroy_room(const AdminTarget& target, CommandContext& ctx) {
  MucService& service = target.service;
  if (!ctx.submitted) {
    return CommandResponse::stage(destroy_form(), {CommandAction::complete},
                                  CommandAction::complete);
  }
  if (auto ok = xmpp::validate_submission(destroy_form(), *ctx.submitted); !ok) {
    return CommandResponse::failed(
        StanzaError::of(StanzaCondition::bad_request, "The form is incomplete or invalid"));
  }
  const auto jid = xmpp::Jid::parse(ctx.submitted->field("roomjid")->value());
  // room_jid_of refuses a JID without a node or with a resource.
  const auto room_jid = jid ? room_jid_of(*jid) : fail(jid.error());
  if (!room_jid) {
    return CommandResponse::failed(
        StanzaError::of(StanzaCondition::jid_malformed, "Not a room JID"));
  }
  std::shared_ptr<Room> room = service.find_room(*room_jid);
  if (!room || room->gone()) {
    return CommandResponse::failed(
        StanzaError::of(StanzaCondition::item_not_found, "No such room"));
  }
  auto value = [&ctx](const char* var) {
    const xmpp::FormField* f = ctx.submitted->field(var);
    return f != nullptr ? f->value() : std::string();
  };
  const std::string bare = room_jid->str();
  const std::string admin = ctx.requester.bare_string();
  service.log(LogLevel::info, "admin " + admin + " destroys room " + bare);
  // Answered once the store has deleted it: a "completed" the admin sees is durable.
  room->destroy_room(value("reason"), value("alternate"), [finish = ctx.finish, bare](Status s) {
    if (!s) {
      finish(CommandResponse::failed(
          StanzaError::of(StanzaCondition::internal_server_error, "The store failed")));
      return;
    }
    finish(CommandResponse::completed({{NoteType::info, bare + " destroyed"}}));
  });
  return CommandResponse::later();
}

}  // namespace

std::vector<xmpp::Command> room_commands(const AdminTarget& target,
                                         const xmpp::CommandPermission& admin_only) {
  return {{std::string(kListRoomsNode), "List rooms", admin_only,
           [target](CommandContext&) { return list_rooms(target); }},
          {std::string(kDestroyRoomNode), "Destroy a room", admin_only,
           [target](CommandContext& ctx) { return destroy_room(target, ctx); }}};
}

}  // namespace conclave::component::admin

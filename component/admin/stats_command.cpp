// Admin command: service statistics (rooms, occupants, MLS groups in memory, uptime).
#include <algorithm>
#include <chrono>
#include <string>

#include "component/admin/admin_area.h"

namespace conclave::component::admin {
namespace {

using xmpp::CommandContext;
using xmpp::CommandResponse;
using xmpp::DataForm;
using xmpp::FieldType;

CommandResponse stats(const AdminTarget& target) {
  MucService& service = target.service;
  std::size_t rooms = 0, persistent = 0, occupants = 0, mls_rooms = 0;
  const ds::DeliveryService* mls = target.mls;
  for (const auto& [bare, room] : service.rooms()) {
    if (room->gone()) continue;
    ++rooms;
    if (room->config().persistent) ++persistent;
    occupants += room->occupant_count();
    if (mls != nullptr && mls->epoch_of(bare)) ++mls_rooms;
  }
  const auto up =
      std::chrono::duration_cast<std::chrono::seconds>(service.env().now() - service.started());
  DataForm f = result_form("Service statistics");
  auto add = [&f](const char* var, const char* label, std::size_t v) {
    f.add(var, FieldType::text_single, label, {std::to_string(v)});
  };
  add("rooms", "Rooms", rooms);
  add("persistent-rooms", "Persistent rooms", persistent);
  add("occupants", "Occupants", occupants);
  add("mls-groups", "Rooms with an MLS group in memory", mls_rooms);
  add("uptime", "Seconds since start",
      static_cast<std::size_t>(std::max<long long>(0, up.count())));
  return CommandResponse::completed({}, std::move(f));
}

}  // namespace

std::vector<xmpp::Command> stats_commands(const AdminTarget& target,
                                          const xmpp::CommandPermission& admin_only) {
  return {{std::string(kStatsNode), "Service statistics", admin_only,
           [target](CommandContext&) { return stats(target); }}};
}

}  // namespace conclave::component::admin

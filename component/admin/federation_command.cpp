// Admin command on federated rooms (docs/federation.md §7): every room that mirrors another or
// lets others mirror it, with its FMUC nodes, which links are up, the link events it remembers
// (linked, netsplit, healed) and, for the room in a statically configured mirror set, the
// sequencer and term of its commit agreement.
#include <string>
#include <vector>

#include "component/admin/admin_area.h"

namespace conclave::component::admin {
namespace {

using xmpp::CommandContext;
using xmpp::CommandResponse;
using xmpp::DataForm;
using xmpp::FieldType;

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (const std::string& s : v) out += (out.empty() ? "" : " ") + s;
  return out.empty() ? "(none)" : out;
}

std::vector<std::string> room_lines(const Room& room, const federation::FederationService* fed) {
  const RoomConfig& c = room.config();
  const std::string jid = room.jid().bare_string();
  std::vector<std::string> lines;
  std::string head = jid;
  if (!c.fmuc_home.empty()) {
    head += " mirror-of=" + c.fmuc_home;
  } else {
    head += " home mirrors=" + joined(c.fmuc_mirrors);
  }
  head += " linked=" +
          joined(std::vector<std::string>(room.fmuc_linked().begin(), room.fmuc_linked().end()));
  if (fed != nullptr && fed->config().self == jid) {
    if (auto s = fed->status()) {
      head +=
          " sequencer=" + s->leader.value_or("(none known)") + " term=" + std::to_string(s->term);
    }
  }
  lines.push_back(std::move(head));
  for (const std::string& event : room.fmuc_history()) lines.push_back("  " + event);
  return lines;
}

CommandResponse federated_rooms(const AdminTarget& target) {
  DataForm f = result_form("Federated rooms");
  std::vector<std::string> jids;
  std::vector<std::string> lines;
  for (const auto& [bare, room] : target.service.rooms()) {
    if (room->gone()) continue;
    if (room->config().fmuc_home.empty() && room->config().fmuc_mirrors.empty()) continue;
    jids.push_back(bare.str());
    for (std::string& l : room_lines(*room, target.federation)) lines.push_back(std::move(l));
  }
  f.add("count", FieldType::text_single, "Number of federated rooms",
        {std::to_string(jids.size())});
  f.add("rooms", FieldType::jid_multi, "Federated rooms", std::move(jids));
  f.add("details", FieldType::text_multi, "Nodes, links and link events", std::move(lines));
  return CommandResponse::completed({}, std::move(f));
}

}  // namespace

std::vector<xmpp::Command> federation_commands(const AdminTarget& target,
                                               const xmpp::CommandPermission& admin_only) {
  return {{std::string(kFederatedRoomsNode), "Federated rooms", admin_only,
           [target](CommandContext&) { return federated_rooms(target); }}};
}

}  // namespace conclave::component::admin

#pragma once
// Service administration through Ad-Hoc Commands (XEP-0050) on the component's JID, for the JIDs
// of service.admins only: list rooms, service statistics, destroy a room. Others see no
// commands (XEP-0050 §2.2) and get <forbidden/> if they try one.
//
// A client finds them with disco#items on node http://jabber.org/protocol/commands of the
// service JID (Gajim: "Execute command" on the service; docs/administration.md).
#include <string_view>

#include "xmpp/adhoc.h"

namespace conclave::component {

class MucService;
namespace ds {
class DeliveryService;
}
namespace cluster {
class LeaseKeeper;
}
namespace federation {
class FederationService;
}

inline constexpr std::string_view kAdminFormType = "urn:conclave:admin";
inline constexpr std::string_view kListRoomsNode = "urn:conclave:admin:list-rooms";
inline constexpr std::string_view kStatsNode = "urn:conclave:admin:stats";
inline constexpr std::string_view kDestroyRoomNode = "urn:conclave:admin:destroy-room";
inline constexpr std::string_view kFederatedRoomsNode = "urn:conclave:admin:federated-rooms";

// register_admin_commands: adds the commands to `registry` (MucService::commands()); they act on
// `service` and read MLS figures from `mls` and this instance's shard leases from `cluster`
// (null: none; docs/cluster.md) and its federated room's agreement from `federation` (null:
// none; docs/federation.md), which must outlive the registry.
// One file per area: room_commands.cpp, stats_command.cpp.
void register_admin_commands(xmpp::CommandRegistry& registry, MucService& service,
                             const ds::DeliveryService* mls,
                             const cluster::LeaseKeeper* cluster = nullptr,
                             const federation::FederationService* federation = nullptr);

}  // namespace conclave::component

#pragma once
// What the admin command areas share: the service they act on, the delivery service (for MLS
// figures; may be null), and the result form of this project's admin commands. Internal to
// admin/.
#include <string>
#include <vector>

#include "component/admin/admin_commands.h"
#include "component/cluster/lease_keeper.h"
#include "component/ds/delivery_service.h"
#include "component/federation/federation_service.h"
#include "component/muc/muc_service.h"
#include "xmpp/data_form.h"

namespace conclave::component::admin {

struct AdminTarget {
  MucService& service;
  const ds::DeliveryService* mls = nullptr;
  const cluster::LeaseKeeper* cluster = nullptr;  // several instances: this one's leases
  const federation::FederationService* federation = nullptr;  // its federated room, if any
};

// result_form: a completed command's form (FORM_TYPE urn:conclave:admin).
xmpp::DataForm result_form(std::string title);

// One file per area, each giving its commands (admin_commands.cpp orders and registers them).
std::vector<xmpp::Command> room_commands(const AdminTarget& target,
                                         const xmpp::CommandPermission& admin_only);
std::vector<xmpp::Command> federation_commands(const AdminTarget& target,
                                               const xmpp::CommandPermission& admin_only);
std::vector<xmpp::Command> stats_commands(const AdminTarget& target,
                                          const xmpp::CommandPermission& admin_only);

}  // namespace conclave::component::admin

// The admin commands' registration: who may run them, and the areas that add them.
#include "component/admin/admin_commands.h"

#include <algorithm>
#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "component/admin/admin_area.h"

namespace conclave::component {

namespace admin {

xmpp::DataForm result_form(std::string title) {
  xmpp::DataForm f;
  f.type = xmpp::FormType::result;
  f.title = std::move(title);
  f.set_form_type(std::string(kAdminFormType));
  return f;
}

}  // namespace admin

void register_admin_commands(xmpp::CommandRegistry& registry, MucService& service,
                             const ds::DeliveryService* mls, const cluster::LeaseKeeper* cluster,
                             const federation::FederationService* federation) {
  auto admin_only = [&service](const xmpp::Jid& who) {
    return service.env().service_admins.count(who.bare_string()) != 0;
  };
  const admin::AdminTarget target{service, mls, cluster, federation};
  std::vector<xmpp::Command> all = admin::room_commands(target, admin_only);
  for (xmpp::Command& c : admin::stats_commands(target, admin_only)) all.push_back(std::move(c));
  for (xmpp::Command& c : admin::federation_commands(target, admin_only)) {
    all.push_back(std::move(c));
  }
  // The order clients list them in: what reads before what changes; a command not named here
  // comes after these, in its area's order.
  constexpr std::array<std::string_view, 4> kOrder = {kListRoomsNode, kStatsNode,
                                                      kFederatedRoomsNode, kDestroyRoomNode};
  auto rank = [&](const xmpp::Command& c) {
    return std::find(kOrder.begin(), kOrder.end(), c.node) - kOrder.begin();
  };
  std::stable_sort(all.begin(), all.end(), [&](const xmpp::Command& x, const xmpp::Command& y) {
    return rank(x) < rank(y);
  });
  for (xmpp::Command& c : all) registry.add(std::move(c));
}

}  // namespace conclave::component

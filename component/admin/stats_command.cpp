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
  if (const cluster::LeaseKeeper* c = target.cluster) {
    // docs/cluster.md: this instance, whether it is the active one, the shards it holds and
    // in which terms, and how many commits the fence refused here.
    const std::vector<Lease> held = c->held();
    std::uint64_t lo = 0, hi = 0;
    for (const Lease& l : held) {
      lo = lo == 0 ? l.term : std::min(lo, l.term);
      hi = std::max(hi, l.term);
    }
    f.add("cluster-instance", FieldType::text_single, "This instance", {c->holder()});
    f.add("cluster-active", FieldType::boolean, "Active (holds the leader shard)",
          {c->active() ? "1" : "0"});
    add("cluster-shards-held", "Shards held", held.size());
    add("cluster-shards", "Shards in all", c->settings().shards);
    f.add("cluster-terms", FieldType::text_single, "Terms of the held shards",
          {held.empty() ? std::string("-")
           : lo == hi   ? std::to_string(lo)
                        : std::to_string(lo) + ".." + std::to_string(hi)});
    add("cluster-fenced-commits", "Commits refused by the fence here",
        mls != nullptr ? mls->fenced_commits() : 0);
  }
  if (const federation::FederationService* fed = target.federation;
      fed != nullptr && fed->status()) {
    // docs/federation.md §3: the room of this deployment in a mirror set, and where the
    // mirrors' commit agreement stands here.
    const federation::ConsensusStatus s = *fed->status();
    f.add("federation-room", FieldType::text_single, "Federated room", {fed->config().self});
    f.add("federation-home", FieldType::text_single, "Its home", {fed->config().home});
    f.add("federation-mirrors", FieldType::text_multi, "Its mirror set", fed->config().mirrors);
    f.add("federation-role", FieldType::text_single, "Role here",
          {s.role == federation::Role::leader      ? "sequencer"
           : s.role == federation::Role::candidate ? "candidate"
                                                   : "follower"});
    f.add("federation-sequencer", FieldType::text_single, "Sequencer (empty: none known)",
          {s.leader.value_or("")});
    add("federation-term", "Term", s.term);
    add("federation-final", "Log entries final here", s.committed);
  }
  return CommandResponse::completed({}, std::move(f));
}

}  // namespace

std::vector<xmpp::Command> stats_commands(const AdminTarget& target,
                                          const xmpp::CommandPermission& admin_only) {
  return {{std::string(kStatsNode), "Service statistics", admin_only,
           [target](CommandContext&) { return stats(target); }}};
}

}  // namespace conclave::component::admin

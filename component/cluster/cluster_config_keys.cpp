// The [cluster] keys of the configuration file (docs/configuration.md), beside ClusterConfig.
// Defaults: docs/cluster.md §2 (L = 10 s, R = 2 s, P = 1 s, margin 1 s).
#include "component/cluster/cluster_config.h"

namespace conclave::component::cluster {

const ConfigTable<ClusterConfig>& config_keys() {
  using namespace keys;
  static const ConfigTable<ClusterConfig> table = [] {
    ConfigTable<ClusterConfig> t = {
        {"cluster.enabled", "false", "Share the database with other instances (leases)",
         one_of(&ClusterConfig::enabled, {{"false", false}, {"true", true}})},
        {"cluster.instance", "(the host name)", "This instance's name in logs and lease rows",
         text(&ClusterConfig::instance)},
        {"cluster.poll_ms", "1000", "How often a standby tries to take over",
         millis_in<50, 60'000>(&ClusterConfig::poll)},
    };
    const ConfigTable<LeaseSettings> leases = {
        {"cluster.shards", "64", "Shards the rooms hash into (the same on every instance)",
         uint_in<1, 65'536>(&LeaseSettings::shards)},
        {"cluster.lease_ms", "10000", "Lease length: the longest a crashed instance is waited for",
         millis_in<200, 600'000>(&LeaseSettings::length)},
        {"cluster.renew_ms", "2000", "How often the active instance renews its leases",
         millis_in<50, 600'000>(&LeaseSettings::renew_every)},
        {"cluster.margin_ms", "1000", "How long before its lease could expire a holder stops",
         millis_in<10, 600'000>(&LeaseSettings::margin)},
    };
    for (const auto& k : nested(&ClusterConfig::leases, leases)) t.push_back(k);
    return t;
  }();
  return table;
}

std::optional<std::string> check(const ClusterConfig& c) {
  const LeaseSettings& l = c.leases;
  if (l.margin >= l.length) return "cluster.margin_ms must be below cluster.lease_ms";
  // A renewal must land before the holder's own deadline, with a second try to spare.
  if (2 * l.renew_every >= l.length - l.margin) {
    return "cluster.renew_ms must be below (cluster.lease_ms - cluster.margin_ms) / 2";
  }
  return std::nullopt;
}

}  // namespace conclave::component::cluster

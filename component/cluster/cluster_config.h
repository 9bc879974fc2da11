#pragma once
// ClusterConfig: the [cluster] section of the configuration file (docs/configuration.md,
// docs/cluster.md): whether this instance is one of several sharing the database, and the
// timing of the shard leases.
#include <chrono>
#include <optional>
#include <string>

#include "component/cluster/lease_keeper.h"
#include "component/core/config_table.h"

namespace conclave::component::cluster {

struct ClusterConfig {
  bool enabled = false;  // cluster.enabled: off, one instance serves alone (no leases)
  std::string instance;  // cluster.instance: this instance's name in logs and lease rows
  LeaseSettings leases;
  std::chrono::milliseconds poll{1000};  // cluster.poll_ms: a standby's attempt interval (P)

  friend bool operator==(const ClusterConfig&, const ClusterConfig&) = default;
};

// config_keys: the [cluster] keys, each filling a member of ClusterConfig.
const ConfigTable<ClusterConfig>& config_keys();

// check: the rules between keys (a renewal must fit in a lease with its margin to spare);
// nullopt when they hold, else why not.
std::optional<std::string> check(const ClusterConfig& c);

}  // namespace conclave::component::cluster

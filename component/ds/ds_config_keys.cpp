// The [mls] keys of the configuration file (docs/configuration.md), beside DsConfig.
#include "component/core/config_table.h"
#include "component/ds/ds_env.h"

namespace conclave::component::ds {

const ConfigTable<DsConfig>& config_keys() {
  using namespace keys;  // in the table below
  static const ConfigTable<DsConfig> table = {
      {"mls.epoch_window", "3", "Epochs an application message may lag behind",
       uint_in<0, 1000>(&DsConfig::epoch_window)},
      {"mls.max_key_packages", "100", "One-time KeyPackages stored per bare JID",
       uint_in<1, 10'000>(&DsConfig::max_key_packages)},
      {"mls.max_key_package_lifetime", "91",
       "Days after its upload a KeyPackage may expire at the latest (KP-9)",
       uint_in<1, 3650>(&DsConfig::max_key_package_lifetime_days)},
      {"mls.max_tree_leaves", "16384", "Widest ratchet tree of a room's group, in leaves",
       uint_in<2, (1u << 20)>(&DsConfig::max_tree_leaves)},
      {"mls.group_cache", "1000", "Rooms whose group state stays in memory",
       uint_in<1, 1'000'000>(&DsConfig::group_cache)},
      // The rates are whole numbers, stored as the token buckets' doubles.
      {"mls.key_package_uploads_per_minute", "10", "KeyPackage uploads per bare JID (0: no limit)",
       uint_in<0, 1'000'000>(&DsConfig::uploads_per_minute)},
      {"mls.claims_per_minute", "60", "KeyPackage claims per claimer and claimed JID (0: none)",
       uint_in<0, 1'000'000>(&DsConfig::claims_per_minute)},
      {"mls.room_requests_per_minute", "600", "urn:xmpp:mls:0 room requests per bare JID",
       uint_in<0, 1'000'000>(&DsConfig::room_requests_per_minute)},
  };
  return table;
}

}  // namespace conclave::component::ds

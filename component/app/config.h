#pragma once
// Config: the component's configuration file, an INI file of `key = value` lines in
// [sections]. Every key and its default is documented in docs/configuration.md; an example is
// deploy/conclave.conf. Each key is described once, in a table (config_keys(), config_table.h).
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <tl/expected.hpp>

#include "component/cluster/cluster_config.h"
#include "component/core/config_table.h"
#include "component/core/log.h"
#include "component/ds/ds_env.h"

namespace conclave::component {

// Who may create a room by joining it (muc.create_rooms).
enum class CreatePolicy { anyone, local, admins };

struct Config {
  // [component]
  std::string domain;  // required
  std::string secret;  // required
  std::string name = "Conclave rooms";
  // [server]
  std::string server_host = "127.0.0.1";
  std::uint16_t server_port = 5347;
  // [database]
  std::string database_url;  // required
  std::size_t database_pool = 4;
  // [service]
  std::set<std::string> admins;  // bare JIDs
  // [muc]
  CreatePolicy create_rooms = CreatePolicy::anyone;
  // Domains whose users count as local for create_rooms = local; when empty, the domain the
  // component is a subdomain of (mls.example.org -> example.org).
  std::set<std::string> local_domains;
  // [limits]
  std::size_t max_occupants = 1000;
  std::size_t max_history = 50;
  std::size_t mam_max_page = 100;
  std::size_t max_stanza_bytes = 256 * 1024;
  std::size_t max_queued = 10'000;
  std::chrono::seconds voice_request_interval{60};
  // [mls] (docs/configuration.md): epoch_window, max_key_packages, group_cache,
  // key_package_uploads_per_minute, claims_per_minute, room_requests_per_minute
  ds::DsConfig mls;
  // [cluster] (docs/cluster.md): several instances on one database.
  cluster::ClusterConfig cluster;
  // [federation] (docs/federation.md): the static mirror set of one room, until owners
  // configure mirrors in their rooms. federation_home empty: off.
  std::string federation_home;
  std::set<std::string> federation_mirrors;  // room JIDs, the home among them
  // Between two probes of each FMUC link of a mirrored room (room_fmuc.cpp).
  std::chrono::milliseconds federation_link_probe{10'000};
  std::chrono::milliseconds federation_tick{100};
  // [log]
  LogLevel log_level = LogLevel::info;

  friend bool operator==(const Config&, const Config&) = default;
};

// config_keys: every key of the configuration file, the tables of all modules in one.
const ConfigTable<Config>& config_keys();

// parse_config: the text of a configuration file, through config_keys(). Unknown sections or
// keys are errors, so a typo cannot silently fall back to a default; so are values out of a
// key's range and missing required keys. The error names the line and the key.
tl::expected<Config, ConfigError> parse_config(std::string_view text);
// load_config: parse_config of the file at `path`; the error also names the file.
tl::expected<Config, ConfigError> load_config(const std::string& path);

// may_create_room: the muc.create_rooms policy for this bare user JID (service admins are
// checked by the caller: they may always create).
bool may_create_room(const Config& c, std::string_view user_domain);

// federation_self: the room of federation_mirrors served here (the one on component.domain).
std::string federation_self(const Config& c);

}  // namespace conclave::component

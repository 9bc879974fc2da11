#pragma once
// Config: the component's configuration file, an INI file of `key = value` lines in
// [sections]. Every key and its default is documented in docs/configuration.md; an example is
// deploy/conclave.conf.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "component/ds/ds_env.h"
#include "component/store/result.h"

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
  // [log]
  std::string log_level = "info";
};

// parse_config: the text of a configuration file. On error returns the message (with the line
// number) in `error` and an empty optional; unknown sections or keys are errors, so a typo
// cannot silently fall back to a default.
std::optional<Config> parse_config(std::string_view text, std::string& error);
std::optional<Config> load_config(const std::string& path, std::string& error);

// may_create_room: the muc.create_rooms policy for this bare user JID (service admins are
// checked by the caller: they may always create).
bool may_create_room(const Config& c, std::string_view user_domain);

}  // namespace conclave::component

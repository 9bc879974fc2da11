#include "component/app/config.h"

#include <fstream>
#include <sstream>

#include "xmpp/jid.h"

namespace conclave::component {
namespace {

using namespace keys;  // in the tables below

// Values that are XMPP addresses, normalised (xmpp::Jid).
Parsed<std::string> domain(std::string_view v) {
  auto j = xmpp::Jid::parse(v);
  if (!j || !j->node().empty() || !j->resource().empty()) {
    return tl::unexpected("not a domain: " + std::string(v));
  }
  return j->domain();
}

Parsed<std::string> bare_jid(std::string_view v) {
  auto j = xmpp::Jid::parse(v);
  if (!j || !j->resource().empty()) return tl::unexpected("not a bare JID: " + std::string(v));
  return j->bare_string();
}

// One table per part of the service; the [mls] keys are the delivery service's
// (ds::config_keys(), beside DsConfig). docs/configuration.md says more about each key.
ConfigTable<Config> component_keys() {
  return {
      {"component.domain", kRequired, "The component's JID, as configured on the XMPP server",
       parsed(&Config::domain, domain)},
      {"component.secret", kRequired, "The XEP-0114 shared secret", text(&Config::secret)},
      {"component.name", "Conclave rooms", "Name in the service's disco#info identity",
       text(&Config::name)},
  };
}

ConfigTable<Config> server_keys() {
  return {
      {"server.host", "127.0.0.1", "Host of the XMPP server's component listener",
       text(&Config::server_host)},
      {"server.port", "5347", "Its port", uint_in<1, 65535>(&Config::server_port)},
  };
}

ConfigTable<Config> database_keys() {
  return {
      {"database.url", kRequired, "libpq connection string or URI", text(&Config::database_url)},
      {"database.pool_size", "4", "Pooled connections and database threads",
       uint_in<1, 64>(&Config::database_pool)},
  };
}

ConfigTable<Config> service_keys() {
  return {
      {"service.admins", "(empty)", "Bare JIDs owning every room, allowed admin commands",
       list_of(&Config::admins, bare_jid)},
  };
}

ConfigTable<Config> muc_keys() {
  return {
      {"muc.create_rooms", "anyone", "Who may create a room by joining it",
       one_of(&Config::create_rooms, {{"anyone", CreatePolicy::anyone},
                                      {"local", CreatePolicy::local},
                                      {"admins", CreatePolicy::admins}})},
      {"muc.local_domains", "(the parent domain)", "Domains whose users are local",
       list_of(&Config::local_domains, domain)},
  };
}

ConfigTable<Config> limits_keys() {
  return {
      {"limits.max_occupants", "1000", "Occupants per room",
       uint_in<1, 1'000'000>(&Config::max_occupants)},
      {"limits.max_history", "50", "Messages replayed on join, at most",
       uint_in<0, 1000>(&Config::max_history)},
      {"limits.mam_max_page", "100", "Largest MAM page served",
       uint_in<1, 1000>(&Config::mam_max_page)},
      {"limits.max_stanza_bytes", "262144", "Largest stanza accepted from the server",
       uint_in<4096, 16 * 1024 * 1024>(&Config::max_stanza_bytes)},
      {"limits.voice_request_interval", "60", "Seconds between two voice requests (0: no limit)",
       seconds_in<0, 86'400>(&Config::voice_request_interval)},
      {"limits.max_queued", "10000", "Stanzas kept while the server link is down",
       uint_in<1, 10'000'000>(&Config::max_queued)},
  };
}

ConfigTable<Config> federation_keys() {
  return {
      {"federation.home", "(empty)", "Room JID of the federated room's home (empty: off)",
       parsed(&Config::federation_home, bare_jid)},
      {"federation.mirrors", "(empty)", "Room JIDs of its mirror set, the home among them",
       list_of(&Config::federation_mirrors, bare_jid)},
      {"federation.tick_ms", "100", "Milliseconds per tick of the commit agreement",
       millis_in<10, 10'000>(&Config::federation_tick)},
      {"federation.link_probe_ms", "10000",
       "Milliseconds between probes of a mirrored room's links (an unanswered probe ends a link)",
       millis_in<500, 600'000>(&Config::federation_link_probe)},
  };
}

ConfigTable<Config> log_keys() {
  return {
      {"log.level", "info", "Least severe level logged",
       one_of(&Config::log_level, {{"debug", LogLevel::debug},
                                   {"info", LogLevel::info},
                                   {"warn", LogLevel::warn},
                                   {"error", LogLevel::error}})},
  };
}

}  // namespace

const ConfigTable<Config>& config_keys() {
  static const ConfigTable<Config> table = [] {
    ConfigTable<Config> all;
    for (ConfigTable<Config> part :
         {component_keys(), server_keys(), database_keys(), service_keys(), muc_keys(),
          nested(&Config::mls, ds::config_keys()), nested(&Config::cluster, cluster::config_keys()),
          limits_keys(), federation_keys(), log_keys()}) {
      all.insert(all.end(), part.begin(), part.end());
    }
    return all;
  }();
  return table;
}

tl::expected<Config, ConfigError> parse_config(std::string_view text) {
  auto c = parse_ini(text, config_keys());
  if (!c) return c;
  if (auto why = cluster::check(c->cluster)) {
    return tl::unexpected(ConfigError{{}, 0, "cluster.renew_ms", *why});
  }
  if (!c->federation_home.empty()) {
    // The home and exactly one room of this component are in the set (docs/federation.md §2).
    std::size_t here = 0;
    for (const std::string& m : c->federation_mirrors) {
      here += m.substr(m.find('@') + 1) == c->domain ? 1 : 0;
    }
    if (c->federation_mirrors.count(c->federation_home) == 0 || here != 1) {
      return tl::unexpected(
          ConfigError{{},
                      0,
                      "federation.mirrors",
                      "must hold federation.home and exactly one room of component.domain"});
    }
  }
  return c;
}

std::string federation_self(const Config& c) {
  for (const std::string& m : c.federation_mirrors) {
    if (m.substr(m.find('@') + 1) == c.domain) return m;
  }
  return {};
}

bool may_create_room(const Config& c, std::string_view user_domain) {
  switch (c.create_rooms) {
    case CreatePolicy::anyone:
      return true;
    case CreatePolicy::admins:
      return false;
    case CreatePolicy::local: {
      if (!c.local_domains.empty()) return c.local_domains.count(std::string(user_domain)) != 0;
      const auto dot = c.domain.find('.');
      return dot != std::string::npos && user_domain == std::string_view(c.domain).substr(dot + 1);
    }
  }
  return false;
}

tl::expected<Config, ConfigError> load_config(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return tl::unexpected(ConfigError{path, 0, {}, "cannot read the file"});
  std::ostringstream text;
  text << in.rdbuf();
  auto c = parse_config(text.str());
  if (!c) c.error().file = path;
  return c;
}

}  // namespace conclave::component

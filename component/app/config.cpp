#include "component/app/config.h"

#include <charconv>
#include <fstream>
#include <sstream>
#include <vector>

#include "xmpp/jid.h"

namespace conclave::component {
namespace {

std::string_view trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t\r");
  if (b == std::string_view::npos) return {};
  const auto e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

// The items of a comma-separated value, trimmed; empty items (a trailing comma) are skipped.
std::vector<std::string_view> comma_list(std::string_view v) {
  std::vector<std::string_view> items;
  while (!v.empty()) {
    const auto comma = v.find(',');
    const std::string_view item = trim(v.substr(0, comma));
    v = comma == std::string_view::npos ? std::string_view() : v.substr(comma + 1);
    if (!item.empty()) items.push_back(item);
  }
  return items;
}

template <class N>
bool number(std::string_view v, N& out, N min, N max) {
  unsigned long long n = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || p != v.data() + v.size() || n < min || n > max) return false;
  out = static_cast<N>(n);
  return true;
}

}  // namespace

std::optional<Config> parse_config(std::string_view text, std::string& error) {
  Config c;
  std::string section;
  std::size_t line_no = 0;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    std::string_view line = trim(text.substr(0, nl));
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    ++line_no;
    auto bad = [&](const std::string& why) {
      error = "line " + std::to_string(line_no) + ": " + why;
      return std::nullopt;
    };
    if (line.empty() || line.front() == '#' || line.front() == ';') continue;
    if (line.front() == '[') {
      if (line.back() != ']') return bad("unterminated section header");
      section = std::string(trim(line.substr(1, line.size() - 2)));
      continue;
    }
    const auto eq = line.find('=');
    if (eq == std::string_view::npos) return bad("expected key = value");
    const std::string key = section + "." + std::string(trim(line.substr(0, eq)));
    const std::string_view v = trim(line.substr(eq + 1));
    if (key == "component.domain") {
      auto j = xmpp::Jid::parse(v);
      if (!j || !j->node().empty() || !j->resource().empty()) return bad("domain: not a domain");
      c.domain = j->domain();
    } else if (key == "component.secret") {
      c.secret = std::string(v);
    } else if (key == "component.name") {
      c.name = std::string(v);
    } else if (key == "server.host") {
      c.server_host = std::string(v);
    } else if (key == "server.port") {
      if (!number<std::uint16_t>(v, c.server_port, 1, 65535)) return bad("port: 1..65535");
    } else if (key == "database.url") {
      c.database_url = std::string(v);
    } else if (key == "database.pool_size") {
      if (!number<std::size_t>(v, c.database_pool, 1, 64)) return bad("pool_size: 1..64");
    } else if (key == "service.admins") {
      for (const std::string_view item : comma_list(v)) {
        auto j = xmpp::Jid::parse(item);
        if (!j || !j->resource().empty())
          return bad("admins: not a bare JID: " + std::string(item));
        c.admins.insert(j->bare_string());
      }
    } else if (key == "muc.create_rooms") {
      if (v == "anyone") {
        c.create_rooms = CreatePolicy::anyone;
      } else if (v == "local") {
        c.create_rooms = CreatePolicy::local;
      } else if (v == "admins") {
        c.create_rooms = CreatePolicy::admins;
      } else {
        return bad("create_rooms: anyone, local or admins");
      }
    } else if (key == "muc.local_domains") {
      for (const std::string_view item : comma_list(v)) {
        auto j = xmpp::Jid::parse(item);
        if (!j || !j->node().empty() || !j->resource().empty()) {
          return bad("local_domains: not a domain: " + std::string(item));
        }
        c.local_domains.insert(j->domain());
      }
    } else if (key == "limits.max_occupants") {
      if (!number<std::size_t>(v, c.max_occupants, 1, 1'000'000)) return bad("max_occupants");
    } else if (key == "limits.max_history") {
      if (!number<std::size_t>(v, c.max_history, 0, 1000)) return bad("max_history: 0..1000");
    } else if (key == "limits.voice_request_interval") {
      std::size_t seconds = 0;
      if (!number<std::size_t>(v, seconds, 0, 86'400))
        return bad("voice_request_interval: 0..86400");
      c.voice_request_interval = std::chrono::seconds(seconds);
    } else if (key == "limits.mam_max_page") {
      if (!number<std::size_t>(v, c.mam_max_page, 1, 1000)) return bad("mam_max_page: 1..1000");
    } else if (key == "limits.max_stanza_bytes") {
      if (!number<std::size_t>(v, c.max_stanza_bytes, 4096, 16 * 1024 * 1024)) {
        return bad("max_stanza_bytes: 4096..16777216");
      }
    } else if (key == "limits.max_queued") {
      if (!number<std::size_t>(v, c.max_queued, 1, 10'000'000)) return bad("max_queued");
    } else if (key == "mls.epoch_window") {
      if (!number<std::uint64_t>(v, c.mls.epoch_window, 0, 1000)) {
        return bad("epoch_window: 0..1000");
      }
    } else if (key == "mls.max_key_packages") {
      if (!number<std::size_t>(v, c.mls.max_key_packages, 1, 10'000)) {
        return bad("max_key_packages: 1..10000");
      }
    } else if (key == "mls.max_tree_leaves") {
      if (!number<std::uint32_t>(v, c.mls.max_tree_leaves, 2, 1u << 20)) {
        return bad("max_tree_leaves: 2..1048576");
      }
    } else if (key == "mls.group_cache") {
      if (!number<std::size_t>(v, c.mls.group_cache, 1, 1'000'000)) return bad("group_cache");
    } else if (key == "mls.key_package_uploads_per_minute" || key == "mls.claims_per_minute" ||
               key == "mls.room_requests_per_minute") {
      std::size_t n = 0;
      if (!number<std::size_t>(v, n, 0, 1'000'000)) return bad("rate: 0..1000000 (0: no limit)");
      (key == "mls.claims_per_minute"          ? c.mls.claims_per_minute
       : key == "mls.room_requests_per_minute" ? c.mls.room_requests_per_minute
                                               : c.mls.uploads_per_minute) = static_cast<double>(n);
    } else if (key == "log.level") {
      if (v != "debug" && v != "info" && v != "warn" && v != "error") {
        return bad("level: debug, info, warn or error");
      }
      c.log_level = std::string(v);
    } else {
      return bad("unknown key " + key);
    }
  }
  if (c.domain.empty()) {
    error = "component.domain is required";
    return std::nullopt;
  }
  if (c.secret.empty()) {
    error = "component.secret is required";
    return std::nullopt;
  }
  if (c.database_url.empty()) {
    error = "database.url is required";
    return std::nullopt;
  }
  return c;
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

std::optional<Config> load_config(const std::string& path, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot read " + path;
    return std::nullopt;
  }
  std::ostringstream text;
  text << in.rdbuf();
  auto c = parse_config(text.str(), error);
  if (!c) error = path + ": " + error;
  return c;
}

}  // namespace conclave::component

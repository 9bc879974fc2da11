#include "client/script.h"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <set>

namespace conclave::client {

using nlohmann::json;

namespace {

// Which fields each op needs.
struct OpSpec {
  std::string_view name;
  bool room;
  bool jid;
  bool text;
};
constexpr OpSpec kOps[] = {
    {"create", true, false, false},         {"invite", true, true, false},
    {"remove", true, true, false},          {"update", true, false, false},
    {"leave", true, false, false},          {"send", true, false, true},
    {"join", true, false, false},           {"resync", true, false, false},
    {"catchup", true, false, false},        {"sync", true, false, false},
    {"enter", true, false, false},          {"fingerprints", true, false, false},
    {"epoch", true, false, false},          {"publish", false, false, false},
    {"count", false, false, false},         {"replenish", false, false, false},
    {"wait", false, false, false},          {"whoami", false, false, false},
    {"rooms", false, false, false},         {"quit", false, false, false},
    {"devices", false, false, false},       {"retire_device", false, false, false},
    {"service_rooms", false, false, false}, {"join_own_rooms", false, false, false},
    {"refresh", false, false, false},
};

const OpSpec* find_op(std::string_view name) {
  for (const OpSpec& s : kOps) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

bool get_string(const json& j, const char* key, bool required, std::string& out) {
  auto it = j.find(key);
  if (it == j.end()) return !required;
  if (!it->is_string()) return false;
  out = it->get<std::string>();
  return !required || !out.empty();
}

template <class T>
bool get_uint(const json& j, const char* key, T& out) {
  auto it = j.find(key);
  if (it == j.end()) return true;
  if (!it->is_number_integer() || it->get<std::int64_t>() < 0) return false;
  out = it->get<T>();
  return true;
}

void write_line(std::FILE* out, const json& j) {
  const std::string s = j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
  std::fputs(s.c_str(), out);
  std::fflush(out);
}

void flush_events(Client& c, std::FILE* out) {
  for (const Event& e : c.take_events()) write_line(out, event_json(e));
}

json ok(const ScriptRequest& r) {
  json j = {{"ok", true}, {"op", r.op}};
  if (!r.room.empty()) j["room"] = r.room;
  if (!r.id.is_null()) j["id"] = r.id;
  return j;
}

template <class T>
json answer(Client& c, const ScriptRequest& r, const Result<T>& res, const char* key) {
  if (!res) return error_json(r, res.error(), c.last_error());
  json j = ok(r);
  if constexpr (!std::is_void_v<T>) j[key] = *res;
  return j;
}

}  // namespace

Result<ScriptRequest> parse_request(std::string_view line) {
  json j = json::parse(line.begin(), line.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return fail(Errc::invalid_request);
  ScriptRequest r;
  if (!get_string(j, "op", true, r.op)) return fail(Errc::invalid_request);
  const OpSpec* spec = find_op(r.op);
  if (spec == nullptr) return fail(Errc::invalid_request);
  if (!get_string(j, "room", spec->room, r.room) || !get_string(j, "jid", spec->jid, r.jid) ||
      !get_string(j, "text", false, r.text) || !get_uint(j, "count", r.count) ||
      !get_uint(j, "ms", r.ms) || !get_uint(j, "lifetime", r.lifetime)) {
    return fail(Errc::invalid_request);
  }
  if (spec->text && j.find("text") == j.end()) return fail(Errc::invalid_request);
  if (auto it = j.find("welcome_tree"); it != j.end()) {
    if (r.op != "invite" || !it->is_string()) return fail(Errc::invalid_request);
    r.welcome_tree = parse_welcome_tree(it->get<std::string>());
    if (!r.welcome_tree) return fail(Errc::invalid_request);
  }
  if (!get_string(j, "device", r.op == "retire_device", r.device)) {
    return fail(Errc::invalid_request);
  }
  if (auto it = j.find("open"); it != j.end()) {
    if (r.op != "create" || !it->is_boolean()) return fail(Errc::invalid_request);
    r.open = it->get<bool>();
  }
  if (auto it = j.find("id"); it != j.end()) r.id = *it;
  return r;
}

json event_json(const Event& e) {
  json j = {{"event", e.type}};
  if (!e.room.empty()) j["room"] = e.room;
  if (!e.from.empty()) j["from"] = e.from;
  if (!e.nick.empty()) j["nick"] = e.nick;
  if (e.type == "message" || !e.text.empty()) j["text"] = e.text;
  if (e.epoch) j["epoch"] = *e.epoch;
  if (!e.detail.empty()) j["detail"] = e.detail;
  if (!e.chain.empty()) j["chain"] = e.chain;
  return j;
}

json error_json(const ScriptRequest& r, std::error_code e,
                const std::optional<ServiceError>& stanza_error) {
  json j = {{"ok", false}, {"op", r.op}, {"message", e.message()}};
  if (!r.room.empty()) j["room"] = r.room;
  if (!r.id.is_null()) j["id"] = r.id;
  if (e.category() == client_category()) {
    j["error"] = errc_name(static_cast<Errc>(e.value()));
  } else {
    j["error"] = std::string(e.category().name()) + ":" + std::to_string(e.value());
  }
  const bool from_service =
      e == make_error_code(Errc::stanza_error) || e == make_error_code(Errc::wrong_epoch);
  if (from_service && stanza_error) {
    j["condition"] = stanza_error->condition;
    if (!stanza_error->app_condition.empty()) j["app_condition"] = stanza_error->app_condition;
    if (!stanza_error->app_text.empty()) j["reason"] = stanza_error->app_text;
    if (!stanza_error->text.empty()) j["text"] = stanza_error->text;
    if (stanza_error->current_epoch) j["current_epoch"] = *stanza_error->current_epoch;
  }
  return j;
}

json run_request(Client& c, const ScriptRequest& r) {
  const std::string& op = r.op;
  if (op == "create") return answer(c, r, c.create(r.room, r.open), "epoch");
  if (op == "invite") return answer(c, r, c.invite(r.room, r.jid, r.welcome_tree), "epoch");
  if (op == "remove") return answer(c, r, c.remove(r.room, r.jid), "epoch");
  if (op == "update") return answer(c, r, c.update(r.room), "epoch");
  if (op == "leave") return answer(c, r, c.leave(r.room), "");
  if (op == "send") return answer(c, r, c.send(r.room, r.text), "epoch");
  if (op == "join") return answer(c, r, c.join_external(r.room), "epoch");
  if (op == "resync") return answer(c, r, c.resync(r.room), "epoch");
  if (op == "catchup") {
    auto n = c.catch_up(r.room);
    json j = answer(c, r, n, "archived");
    if (n) {
      if (auto e = c.epoch(r.room)) j["epoch"] = *e;
    }
    return j;
  }
  if (op == "sync") return answer(c, r, c.sync_commits(r.room), "epoch");
  if (op == "enter") return answer(c, r, c.enter(r.room), "");
  if (op == "epoch") {
    auto e = c.epoch(r.room);
    if (!e) return error_json(r, make_error_code(Errc::no_group), std::nullopt);
    json j = ok(r);
    j["epoch"] = *e;
    if (auto chain = c.chain_hash(r.room)) j["chain"] = *chain;
    return j;
  }
  if (op == "fingerprints") {
    auto f = c.fingerprints(r.room);
    if (!f) return error_json(r, f.error(), std::nullopt);
    json j = ok(r);
    j["own"] = f->own;
    j["epoch"] = f->epoch;
    j["epoch_authenticator"] = f->epoch_authenticator;
    j["members"] = json::array();
    for (const MemberFingerprint& m : f->members) {
      j["members"].push_back({{"leaf", m.leaf},
                              {"jid", m.identity},
                              {"fingerprint", m.fingerprint},
                              {"self", m.self}});
    }
    return j;
  }
  if (op == "publish") {
    std::optional<std::chrono::seconds> lifetime;
    if (r.lifetime > 0) lifetime = std::chrono::seconds(r.lifetime);
    return answer(c, r, c.publish_key_packages(r.count, false, lifetime), "stored");
  }
  if (op == "replenish") return answer(c, r, c.replenish_key_packages(), "uploaded");
  if (op == "count") {
    auto n = c.key_package_count();
    if (!n) return error_json(r, n.error(), c.last_error());
    json j = ok(r);
    j["count"] = n->count;
    j["last_resort"] = n->last_resort;
    return j;
  }
  if (op == "wait") {
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(r.ms);
    while (std::chrono::steady_clock::now() < until) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          until - std::chrono::steady_clock::now());
      auto n = c.pump(std::min(left, std::chrono::milliseconds(100)));
      if (!n) return error_json(r, n.error(), std::nullopt);
      (void)c.maintain_key_packages();  // a failure is an "error" event
    }
    return ok(r);
  }
  if (op == "whoami") {
    json j = ok(r);
    j["jid"] = c.bare_jid();
    j["device"] = c.device();
    j["fingerprint"] = c.own_fingerprint();
    j["service"] = c.service();
    return j;
  }
  if (op == "devices") {
    auto d = c.devices();
    if (!d) return error_json(r, d.error(), c.last_error());
    json j = ok(r);
    j["devices"] = json::array();
    for (const DeviceInfo& info : *d) {
      j["devices"].push_back({{"device", info.device},
                              {"count", info.count},
                              {"last_resort", info.last_resort},
                              {"self", info.device == c.device()}});
    }
    return j;
  }
  if (op == "retire_device") return answer(c, r, c.retire_device(r.device), "rooms");
  if (op == "service_rooms") {
    auto l = c.service_rooms();
    if (!l) return error_json(r, l.error(), c.last_error());
    json j = ok(r);
    j["rooms"] = json::array();
    for (const RoomLeaf& leaf : *l)
      j["rooms"].push_back({{"room", leaf.room}, {"device", leaf.device}});
    return j;
  }
  if (op == "join_own_rooms") return answer(c, r, c.join_own_rooms(), "joined");
  if (op == "refresh") return answer(c, r, c.refresh_key_packages(), "deleted");
  if (op == "rooms") {
    json j = ok(r);
    j["rooms"] = json::array();
    for (const std::string& name : c.rooms()) {
      json room = {{"room", name}};
      if (auto e = c.epoch(name)) room["epoch"] = *e;
      if (auto chain = c.chain_hash(name)) room["chain"] = *chain;
      j["rooms"].push_back(room);
    }
    return j;
  }
  return ok(r);  // quit
}

int run_script(Client& c, int in_fd, std::FILE* out) {
  std::string buffer;
  bool eof = false;
  for (;;) {
    // Complete lines first, in order.
    for (std::size_t nl; (nl = buffer.find('\n')) != std::string::npos;) {
      std::string line = buffer.substr(0, nl);
      buffer.erase(0, nl + 1);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.find_first_not_of(" \t") == std::string::npos) continue;
      auto req = parse_request(line);
      if (!req) {
        write_line(out, {{"ok", false}, {"error", "invalid_request"}, {"line", line}});
        continue;
      }
      json a = run_request(c, *req);
      flush_events(c, out);
      write_line(out, a);
      if (req->op == "quit") return 0;
    }
    if (eof) {
      if (!buffer.empty()) {
        buffer.push_back('\n');  // a last line without newline still counts
        continue;
      }
      return 0;
    }
    pollfd p{in_fd, POLLIN, 0};
    const int ready = ::poll(&p, 1, 20);
    if (ready > 0) {
      char chunk[4096];
      const ssize_t n = ::read(in_fd, chunk, sizeof chunk);
      if (n > 0) {
        buffer.append(chunk, static_cast<std::size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        eof = true;
      }
      continue;
    }
    auto handled = c.pump(std::chrono::milliseconds(30));
    if (handled) (void)c.maintain_key_packages();  // a failure is an "error" event
    flush_events(c, out);
    if (!handled) {
      write_line(out, {{"event", "disconnected"}});
      return 1;
    }
  }
}

}  // namespace conclave::client

// conclave-client: the reference client of urn:xmpp:mls:0 (client/README.md).
//
//   conclave-client COMMAND --jid J --password P --state DIR [--server HOST:PORT] [options]
//
// Commands: script (JSON lines on stdin/stdout), create ROOM [--open], invite ROOM JID, remove ROOM
// JID, update ROOM, leave ROOM, send ROOM TEXT, join ROOM, resync ROOM, catchup ROOM, fingerprints
// ROOM, publish [N], count, listen [SECONDS].
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "client/client.h"
#include "client/script.h"
#include "client/strophe_transport.h"

namespace {

using conclave::client::Client;
using conclave::client::ClientOptions;
using conclave::client::ScriptRequest;
using conclave::client::StropheOptions;
using conclave::client::TlsMode;

void usage() {
  std::cerr
      << "usage: conclave-client COMMAND --jid JID --password PW --state DIR [options] [ARGS]\n"
         "commands: script | create ROOM [--open] | invite ROOM JID | remove ROOM JID | update "
         "ROOM |\n"
         "          leave ROOM | send ROOM TEXT | join ROOM | resync ROOM | catchup ROOM |\n"
         "          fingerprints ROOM | publish [N] | count | listen [SECONDS] | devices |\n"
         "          retire-device DEVICE | service-rooms\n"
         "options:  --server HOST:PORT  --tls off|optional|required  --trust-tls\n"
         "          --service DOMAIN  --nick NICK  --timeout SECONDS  --debug\n"
         "          --device NAME  (this device's name; default: the JID's resource, else\n"
         "          'default'; keep it across reinstalls)\n"
         "          --open  (create: an open room; default: persistent and members-only)\n"
         "          --welcome-tree auto|always|never  (invite: ratchet tree in the Welcome;\n"
         "          auto: while the encoded tree is at most "
      << conclave::client::kWelcomeTreeLimit / 1024
      << " KiB)\n"
         "          (the password may also come from $CONCLAVE_PASSWORD)\n";
}

struct Args {
  std::string command;
  std::vector<std::string> positional;
  StropheOptions xmpp;
  ClientOptions client;
  std::string state;
  int timeout_s = 15;
  bool open = false;
};

bool parse_args(int argc, char** argv, Args& a) {
  bool device_given = false;
  if (const char* pw = std::getenv("CONCLAVE_PASSWORD")) a.xmpp.password = pw;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&](std::string& out) {
      if (i + 1 >= argc) return false;
      out = argv[++i];
      return true;
    };
    std::string v;
    if (arg == "--jid") {
      if (!value(a.xmpp.jid)) return false;
    } else if (arg == "--password") {
      if (!value(a.xmpp.password)) return false;
    } else if (arg == "--state") {
      if (!value(a.state)) return false;
    } else if (arg == "--server") {
      if (!value(v)) return false;
      const auto colon = v.rfind(':');
      if (colon == std::string::npos) {
        a.xmpp.host = v;
      } else {
        a.xmpp.host = v.substr(0, colon);
        const int port = std::atoi(v.c_str() + colon + 1);
        if (port <= 0 || port > 65535) return false;
        a.xmpp.port = static_cast<unsigned short>(port);
      }
    } else if (arg == "--tls") {
      if (!value(v)) return false;
      if (v == "off") {
        a.xmpp.tls = TlsMode::off;
      } else if (v == "optional") {
        a.xmpp.tls = TlsMode::optional;
      } else if (v == "required") {
        a.xmpp.tls = TlsMode::required;
      } else {
        return false;
      }
    } else if (arg == "--trust-tls") {
      a.xmpp.trust_tls = true;
    } else if (arg == "--open") {
      a.open = true;
    } else if (arg == "--debug") {
      a.xmpp.debug = true;
    } else if (arg == "--service") {
      if (!value(a.client.service)) return false;
    } else if (arg == "--nick") {
      if (!value(a.client.nick)) return false;
    } else if (arg == "--device") {
      if (!value(a.client.device)) return false;
      device_given = true;
    } else if (arg == "--welcome-tree") {
      if (!value(v)) return false;
      const auto mode = conclave::client::parse_welcome_tree(v);
      if (!mode) return false;
      a.client.welcome_tree = *mode;
    } else if (arg == "--timeout") {
      if (!value(v)) return false;
      a.timeout_s = std::atoi(v.c_str());
      if (a.timeout_s <= 0) return false;
    } else if (arg.rfind("--", 0) == 0) {
      return false;
    } else if (a.command.empty()) {
      a.command = arg;
    } else {
      a.positional.push_back(arg);
    }
  }
  a.client.timeout = std::chrono::seconds(a.timeout_s);
  if (!device_given) {
    const auto slash = a.xmpp.jid.find('/');
    if (slash != std::string::npos && slash + 1 < a.xmpp.jid.size()) {
      a.client.device = a.xmpp.jid.substr(slash + 1);
    }
  }
  return !a.command.empty() && !a.xmpp.jid.empty() && !a.state.empty();
}

// request_for maps a one-shot command onto the script request it stands for.
bool request_for(const Args& a, ScriptRequest& r) {
  const auto& p = a.positional;
  r.op = a.command;
  if (a.command == "publish" || a.command == "count") {
    r.count = p.empty() ? 5 : static_cast<std::size_t>(std::atoi(p[0].c_str()));
    return p.size() <= 1;
  }
  if (a.command == "devices" || a.command == "service-rooms") {
    r.op = a.command == "devices" ? "devices" : "service_rooms";
    return p.empty();
  }
  if (a.command == "retire-device") {
    r.op = "retire_device";
    if (p.size() != 1) return false;
    r.device = p[0];
    return true;
  }
  if (a.command == "listen") {
    r.op = "wait";
    r.ms = (p.empty() ? 60 : std::atoi(p[0].c_str())) * 1000;
    return p.size() <= 1;
  }
  if (p.empty()) return false;
  r.room = p[0];
  if (a.open && a.command != "create") return false;
  r.open = a.open;
  if (a.command == "invite" || a.command == "remove") {
    if (p.size() != 2) return false;
    r.jid = p[1];
    return true;
  }
  if (a.command == "send") {
    if (p.size() != 2) return false;
    r.text = p[1];
    return true;
  }
  return p.size() == 1;
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (!parse_args(argc, argv, args)) {
    usage();
    return 2;
  }
  ScriptRequest one_shot;
  if (args.command != "script" && !request_for(args, one_shot)) {
    usage();
    return 2;
  }
  // Line-buffered answers even when stdout is a pipe (the script mode is driven by programs).
  std::setvbuf(stdout, nullptr, _IOLBF, 0);

  auto store = conclave::client::AccountStore::open(args.state);
  if (!store) {
    std::cerr << "conclave-client: state directory: " << store.error().message() << "\n";
    return 1;
  }
  auto transport =
      conclave::client::StropheTransport::connect(args.xmpp, std::chrono::seconds(args.timeout_s));
  if (!transport) {
    std::printf("%s\n", nlohmann::json(
                            {{"event", "login_failed"}, {"message", transport.error().message()}})
                            .dump()
                            .c_str());
    return 1;
  }
  auto client = Client::open(**transport, std::move(*store), args.client);
  if (!client) {
    std::cerr << "conclave-client: " << client.error().message() << "\n";
    return 1;
  }
  int status = 0;
  if (auto s = (*client)->start(); !s) {
    // Key packages could not be published; the session still works for existing rooms.
    ScriptRequest start;
    start.op = "start";
    std::printf(
        "%s\n",
        conclave::client::error_json(start, s.error(), (*client)->last_error()).dump().c_str());
  }
  std::printf("%s\n", nlohmann::json({{"event", "ready"},
                                      {"jid", (*client)->bare_jid()},
                                      {"fingerprint", (*client)->own_fingerprint()}})
                          .dump()
                          .c_str());
  std::fflush(stdout);
  if (args.command == "script") {
    status = conclave::client::run_script(**client, STDIN_FILENO, stdout);
  } else {
    auto answer = conclave::client::run_request(**client, one_shot);
    for (const auto& e : (*client)->take_events()) {
      std::printf("%s\n", conclave::client::event_json(e).dump().c_str());
    }
    std::printf("%s\n", answer.dump().c_str());
    status = answer.value("ok", false) ? 0 : 1;
  }
  (*transport)->disconnect();
  return status;
}

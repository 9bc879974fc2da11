// conclave-mls-load: load generator for the MLS delivery service (docs/benchmarks.md, MLS section).
//
//   conclave-mls-load commits --jid J --password P --server HOST:PORT [--service DOMAIN]
//       [--rooms 100] [--members 100] [--rate 100] [--seconds 30] [--prefix load]
//   conclave-mls-load add --jid J --password P --server HOST:PORT [--service DOMAIN]
//       --joiner JID --joiner-password P [--members 1000] [--batch 50] [--prefix big]
//
// `commits`: one account creates --rooms rooms, each with a group of --members leaves (itself
// plus members whose keys only this process holds: they never connect, so fan-out goes to one
// occupant per room), then sends UpdatePath commits open-loop at --rate per second in total,
// round-robin over the rooms with at most one commit in flight per room (the next one needs the
// merged epoch). It reports accepted commits per second and the IQ -> answer latency (p50, p99,
// max) measured from sending the commit IQ to reading its answer; building a commit happens
// before the clock starts.
// `add`: builds a group of --members - 1 leaves in one room (Adds in batches of --batch), then
// measures adding one real account (--joiner, a conclave::client::Client in this process that
// publishes key packages): claim, commit with Welcome, <accepted/>, and the joiner's `joined`.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "client/account_store.h"
#include "client/client.h"
#include "client/protocol.h"
#include "client/strophe_transport.h"
#include "mls/codec/codec.h"
#include "mls/group/extensions.h"
#include "mls/group/group.h"

namespace {

namespace cc = conclave::client;
namespace mls = conclave::mls;
using conclave::xmpp::Element;
using Clock = std::chrono::steady_clock;

constexpr auto kSuite = mls::CipherSuiteId::mls_128_dhkemx25519_aes128gcm_sha256_ed25519;
constexpr auto kTimeout = std::chrono::seconds(30);

struct Args {
  std::string mode;
  cc::StropheOptions xmpp;
  std::string service;
  std::string joiner;
  std::string joiner_password;
  std::string prefix;
  std::size_t rooms = 100;
  std::size_t members = 0;
  std::size_t batch = 50;
  double rate = 100;
  double seconds = 30;
};

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "conclave-mls-load: %s\n", what.c_str());
  std::exit(1);
}

template <class T>
T must(cc::Result<T> r, const std::string& what) {
  if (!r) die(what + ": " + r.error().message());
  return std::move(*r);
}

bool parse(int argc, char** argv, Args& a) {
  if (argc < 2) return false;
  a.mode = argv[1];
  for (int i = 2; i < argc; ++i) {
    const std::string k = argv[i];
    if (i + 1 >= argc) return false;
    const std::string v = argv[++i];
    if (k == "--jid") {
      a.xmpp.jid = v;
    } else if (k == "--password") {
      a.xmpp.password = v;
    } else if (k == "--server") {
      const auto c = v.rfind(':');
      if (c == std::string::npos) return false;
      a.xmpp.host = v.substr(0, c);
      a.xmpp.port = static_cast<unsigned short>(std::atoi(v.c_str() + c + 1));
    } else if (k == "--service") {
      a.service = v;
    } else if (k == "--joiner") {
      a.joiner = v;
    } else if (k == "--joiner-password") {
      a.joiner_password = v;
    } else if (k == "--prefix") {
      a.prefix = v;
    } else if (k == "--rooms") {
      a.rooms = std::strtoul(v.c_str(), nullptr, 10);
    } else if (k == "--members") {
      a.members = std::strtoul(v.c_str(), nullptr, 10);
    } else if (k == "--batch") {
      a.batch = std::strtoul(v.c_str(), nullptr, 10);
    } else if (k == "--rate") {
      a.rate = std::atof(v.c_str());
    } else if (k == "--seconds") {
      a.seconds = std::atof(v.c_str());
    } else {
      return false;
    }
  }
  a.xmpp.tls = cc::TlsMode::off;
  if (a.members == 0) a.members = a.mode == "add" ? 1000 : 100;
  if (a.prefix.empty()) a.prefix = a.mode == "add" ? "big" : "load";
  const auto at = a.xmpp.jid.find('@');
  if (at == std::string::npos) return false;
  if (a.service.empty()) a.service = "mls." + a.xmpp.jid.substr(at + 1);
  return (a.mode == "commits" || (a.mode == "add" && !a.joiner.empty())) && a.members >= 2 &&
         a.rooms >= 1 && a.batch >= 1 && a.rate > 0;
}

template <class T>
mls::Bytes wrap(T body) {
  mls::MlsMessage m;
  m.message = std::move(body);
  return mls::encode(m);
}

std::string bare(const std::string& jid) { return jid.substr(0, jid.find('/')); }

mls::KeyPackageBundle bundle_for(const mls::CipherSuite& suite, const std::string& identity) {
  mls::Credential cred;
  cred.value = mls::BasicCredential{mls::Bytes(identity.begin(), identity.end())};
  return must(mls::make_key_package(suite, cred, suite.generate_signature_key_pair().private_key),
              "key package for " + identity);
}

// Session: the generator's own c2s connection and its helpers.
struct Session {
  std::unique_ptr<cc::StropheTransport> t;
  std::string service;
  std::string nick;

  Element request(Element iq, const std::string& what) {
    return must(t->request(std::move(iq), kTimeout), what);
  }

  // enter joins `room` as an occupant, accepting the default configuration of a new room.
  void enter(const std::string& room) {
    t->send(cc::muc_join(room, nick));
    const std::string occupant = room + "/" + nick;
    const auto deadline = Clock::now() + kTimeout;
    while (Clock::now() < deadline) {
      auto s = must(t->poll(std::chrono::milliseconds(100)), "entering " + room);
      if (!s || s->name() != "presence" || s->attr_or("from") != occupant) continue;
      if (s->attr_or("type") == "error") die("entering " + room + " refused");
      const auto codes = cc::muc_status_codes(*s);
      if (std::find(codes.begin(), codes.end(), 110) == codes.end()) continue;
      if (std::find(codes.begin(), codes.end(), 201) != codes.end()) {
        auto r = request(cc::instant_room_config(room), "configuring " + room);
        if (r.attr_or("type") != "result") die("configuring " + room + " refused");
      }
      return;
    }
    die("entering " + room + ": no self-presence");
  }

  // commit sends a commit IQ and returns its answer; dies on anything but <accepted/>.
  void commit_sync(const std::string& room, const mls::CommitOutput& out, const std::string& what) {
    const mls::Bytes c = mls::encode(out.message);
    std::optional<mls::Bytes> w;
    if (out.welcome) w = wrap(*out.welcome);
    const mls::Bytes gi = wrap(out.group_info);
    auto reply = request(
        cc::commit_request(room, c, w ? std::optional<mls::ByteView>(*w) : std::nullopt, gi), what);
    check_accepted(reply, what);
  }

  static void check_accepted(const Element& reply, const std::string& what) {
    if (auto p = cc::mls_payload(reply, "accepted"); !p) {
      auto e = cc::parse_service_error(reply);
      die(what + ": refused: " +
          (e ? e->condition + " " + e->app_condition + " " + e->app_text : std::string("?")));
    }
  }
};

// make_group creates `room`'s group with `members - 1` added leaves (batches of `batch`).
mls::Group make_group(Session& s, const mls::CipherSuite& suite, const std::string& owner,
                      const std::string& room, std::size_t members, std::size_t batch,
                      const std::vector<mls::Extension>& exts, const std::string& tag) {
  s.enter(room);
  mls::Bytes gid(16);
  mls::system_rng().fill(gid);
  auto g = must(mls::Group::create(suite, gid, bundle_for(suite, owner), exts), "group");
  auto gi = must(g.group_info(false), "group info");
  auto reply = s.request(cc::create_request(room, wrap(gi), g.tree().encode()), "create " + room);
  Session::check_accepted(reply, "create " + room);
  for (std::size_t added = 1; added < members;) {
    mls::CommitOptions o;
    o.ratchet_tree_in_welcome = false;  // the added leaves never join
    for (; added < members && o.proposals.size() < batch; ++added) {
      const std::string jid =
          tag + "-m" + std::to_string(added) + "@" + owner.substr(owner.find('@') + 1);
      o.proposals.push_back(mls::Proposal{mls::Add{bundle_for(suite, jid).key_package}});
    }
    auto out = must(g.commit(std::move(o)), "add commit");
    s.commit_sync(room, out, "adds to " + room);
    g = std::move(out.staged).merge();
  }
  return g;
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto i = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

std::vector<mls::Extension> external_senders(Session& s) {
  auto reply = s.request(cc::external_sender_request(s.service), "external sender");
  auto el = must(cc::mls_payload(reply, "external-sender"), "external sender");
  auto bytes = must(cc::mls_bytes(*el), "external sender bytes");
  auto entry = must(mls::decode<mls::ExternalSenderEntry>(bytes), "external sender decode");
  return {{mls::kExtExternalSenders, mls::encode(std::vector<mls::ExternalSenderEntry>{entry})}};
}

int run_commits(const Args& a, Session& s, const mls::CipherSuite& suite) {
  const std::string owner = bare(s.t->jid());
  const auto exts = external_senders(s);
  struct RoomLoad {
    std::string jid;
    std::optional<mls::Group> group;
    std::optional<mls::CommitOutput> pending;
    std::string iq_id;
    Clock::time_point sent;
  };
  std::vector<RoomLoad> rooms(a.rooms);
  const auto setup0 = Clock::now();
  for (std::size_t i = 0; i < a.rooms; ++i) {
    rooms[i].jid = a.prefix + std::to_string(i) + "@" + s.service;
    rooms[i].group = make_group(s, suite, owner, rooms[i].jid, a.members, a.batch, exts,
                                a.prefix + std::to_string(i));
  }
  std::fprintf(stderr, "setup: %zu rooms of %zu members in %.1f s\n", a.rooms, a.members,
               std::chrono::duration<double>(Clock::now() - setup0).count());

  std::map<std::string, std::size_t> in_flight;  // IQ id -> room
  std::vector<double> latency_ms;
  std::size_t refused = 0, skipped = 0, next = 0;
  const auto interval = std::chrono::duration<double>(1.0 / a.rate);
  const auto start = Clock::now();
  const auto end =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(a.seconds));
  auto due = start;
  while (Clock::now() < end || !in_flight.empty()) {
    if (Clock::now() >= due && Clock::now() < end) {
      due += std::chrono::duration_cast<Clock::duration>(interval);
      RoomLoad& r = rooms[next++ % rooms.size()];
      if (r.pending) {
        ++skipped;  // its previous commit is still unanswered
      } else {
        r.pending = must(r.group->commit(mls::CommitOptions{}), "update commit");
        const mls::Bytes c = mls::encode(r.pending->message);
        const mls::Bytes gi = wrap(r.pending->group_info);
        Element iq = cc::commit_request(r.jid, c, std::nullopt, gi);
        r.sent = Clock::now();
        r.iq_id = s.t->send(std::move(iq));
        in_flight[r.iq_id] = static_cast<std::size_t>(&r - rooms.data());
      }
    }
    const auto wait = std::max<Clock::duration>(
        Clock::duration::zero(),
        std::min<Clock::duration>(due - Clock::now(), std::chrono::milliseconds(5)));
    // Everything already read is handled before the next commit is built: otherwise, once
    // behind, the loop built one commit per stanza read and the answers queued up unread (each
    // commit also brings its fan-out), which measured the generator's backlog, not the service.
    auto timeout = std::chrono::duration_cast<std::chrono::milliseconds>(wait);
    for (;;) {
      auto got = must(s.t->poll(timeout), "poll");
      timeout = std::chrono::milliseconds(0);
      if (!got) break;
      if (got->name() != "iq") continue;
      auto it = in_flight.find(std::string(got->attr_or("id")));
      if (it == in_flight.end()) continue;
      RoomLoad& r = rooms[it->second];
      in_flight.erase(it);
      if (cc::mls_payload(*got, "accepted")) {
        latency_ms.push_back(
            std::chrono::duration<double, std::milli>(Clock::now() - r.sent).count());
        r.group.emplace(std::move(r.pending->staged).merge());
      } else {
        ++refused;
      }
      r.pending.reset();
    }
  }
  const double secs = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf(
      "{\"rooms\":%zu,\"members\":%zu,\"target_rate\":%.1f,\"seconds\":%.2f,\"accepted\":%zu,"
      "\"accepted_per_s\":%.1f,\"refused\":%zu,\"skipped_slots\":%zu,\"p50_ms\":%.2f,"
      "\"p99_ms\":%.2f,\"max_ms\":%.2f}\n",
      a.rooms, a.members, a.rate, secs, latency_ms.size(),
      static_cast<double>(latency_ms.size()) / secs, refused, skipped, percentile(latency_ms, 0.5),
      percentile(latency_ms, 0.99), percentile(latency_ms, 1.0));
  return refused == 0 ? 0 : 1;
}

int run_add(const Args& a, Session& s, const mls::CipherSuite& suite) {
  const std::string owner = bare(s.t->jid());
  const auto exts = external_senders(s);
  const std::string room = a.prefix + "@" + s.service;
  const auto setup0 = Clock::now();
  auto g = make_group(s, suite, owner, room, a.members - 1, a.batch, exts, a.prefix);
  std::fprintf(stderr, "setup: %zu members in %.1f s\n", a.members - 1,
               std::chrono::duration<double>(Clock::now() - setup0).count());

  cc::StropheOptions jo = a.xmpp;
  jo.jid = a.joiner;
  jo.password = a.joiner_password;
  auto jt = must(cc::StropheTransport::connect(jo, kTimeout), "joiner login");
  const auto dir =
      std::filesystem::temp_directory_path() / ("conclave-mls-load-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  auto store = must(cc::AccountStore::open(dir), "joiner state");
  cc::ClientOptions co;
  co.service = s.service;
  auto joiner = must(cc::Client::open(*jt, std::move(store), co), "joiner client");
  if (auto st = joiner->start(); !st) die("joiner key packages: " + st.error().message());

  // The measured part: what the reference client's invite does, then the joiner's Welcome.
  const auto t0 = Clock::now();
  auto claim = s.request(cc::claim_request(s.service, bare(a.joiner)), "claim");
  auto kp_el = must(cc::mls_payload(claim, "key-package"), "claim");
  auto kp_msg = must(mls::decode<mls::MlsMessage>(must(cc::mls_bytes(*kp_el), "kp bytes")), "kp");
  mls::CommitOptions o;
  // A 1,000-leaf ratchet tree in the Welcome makes the commit IQ larger than Prosody's c2s
  // stanza limit (256 KiB: "XML stanza is too big"); the joiner fetches the tree from the
  // service instead (docs/protocol.md §6.6).
  o.ratchet_tree_in_welcome = false;
  o.proposals.push_back(mls::Proposal{mls::Add{std::get<mls::KeyPackage>(kp_msg.message)}});
  auto out = must(g.commit(std::move(o)), "add commit");
  const auto t_built = Clock::now();
  s.commit_sync(room, out, "add of the joiner");
  const auto t_accepted = Clock::now();
  std::optional<Clock::time_point> t_joined;
  while (!t_joined && Clock::now() - t0 < kTimeout) {
    (void)joiner->pump(std::chrono::milliseconds(50));
    for (const auto& e : joiner->take_events()) {
      if (e.type == "joined" && e.room == room) t_joined = Clock::now();
      if (e.type == "error") std::fprintf(stderr, "joiner: %s\n", e.detail.c_str());
    }
  }
  std::filesystem::remove_all(dir);
  if (!t_joined) die("the joiner never reported joined");
  auto ms = [&](Clock::time_point t) {
    return std::chrono::duration<double, std::milli>(t - t0).count();
  };
  std::printf(
      "{\"members_before\":%zu,\"commit_built_ms\":%.1f,\"accepted_ms\":%.1f,"
      "\"joined_ms\":%.1f,\"welcome_bytes\":%zu}\n",
      a.members - 1, ms(t_built), ms(t_accepted), ms(*t_joined),
      out.welcome ? wrap(*out.welcome).size() : std::size_t{0});
  jt->disconnect();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  if (!parse(argc, argv, a)) {
    std::fprintf(stderr,
                 "usage: conclave-mls-load commits|add --jid J --password P --server HOST:PORT "
                 "[--service D] [--rooms N] [--members N] [--batch N] [--rate R] [--seconds S] "
                 "[--prefix P] [--joiner JID --joiner-password P]\n");
    return 2;
  }
  const mls::CipherSuite& suite = *must(mls::CipherSuite::get(kSuite), "suite");
  Session s;
  s.service = a.service;
  s.t = must(cc::StropheTransport::connect(a.xmpp, kTimeout), "login");
  s.nick = "loadgen";
  s.t->send(Element("presence", std::string(cc::ns::kClient)));
  const int rc = a.mode == "commits" ? run_commits(a, s, suite) : run_add(a, s, suite);
  s.t->disconnect();
  return rc;
}

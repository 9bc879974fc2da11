// conclave-mls-load: load generator for the MLS delivery service (docs/benchmarks.md, MLS section).
//
//   conclave-mls-load commits --jid J --password P --server HOST:PORT [--service DOMAIN]
//       [--rooms 100] [--members 100] [--rate 100] [--seconds 30] [--prefix load] [--fill 1]
//   conclave-mls-load add --jid J --password P --server HOST:PORT [--service DOMAIN]
//       --joiner JID --joiner-password P [--members 1000] [--batch 50] [--prefix big] [--fill 1]
//
// Setup (both modes, make_group): Adds, then, unless --fill 0, one UpdatePath commit from a leaf
// in each subtree on leaf 0's copath, so that the measured commits of leaf 0 are those of a room
// whose members have committed (a filled copath), not the blank-tree worst case.
// `commits`: one account creates --rooms rooms, each with a group of --members leaves (itself
// plus members whose keys only this process holds: they never connect, so fan-out goes to one
// occupant per room), then sends UpdatePath commits open-loop at --rate per second in total,
// round-robin over the rooms with at most one commit in flight per room (the next one needs the
// merged epoch). It reports accepted commits per second and the IQ -> answer latency (p50, p99,
// max) measured from sending the commit IQ to reading its answer; building a commit happens
// before the clock starts and is reported apart (build_p50_ms, build_mean_ms).
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
  bool fill = true;  // fill leaf 0's copath during setup (make_group)
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
    } else if (k == "--fill") {
      if (v != "0" && v != "1") return false;
      a.fill = v == "1";
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

// copath_leaves: one leaf in each subtree on leaf 0's copath (RFC 9420 §4.1.2: leaves 1, 2, 4,
// 8, ... below `members`). A commit from each of them sets the copath node of its subtree, so
// leaf 0's later UpdatePaths encrypt to one node per level instead of to every other leaf.
std::vector<std::uint32_t> copath_leaves(std::size_t members) {
  std::vector<std::uint32_t> out;
  for (std::size_t l = 1; l < members; l *= 2) out.push_back(static_cast<std::uint32_t>(l));
  return out;
}

// apply merges a commit sent by another member into `g`.
void apply(mls::Group& g, const mls::MlsMessage& commit, const std::string& what) {
  g = std::move(must(g.stage_commit(commit), what)).merge();
}

// make_group creates `room`'s group with `members - 1` added leaves (batches of `batch`). With
// `fill`, the leaves copath_leaves() names are owned by `owner` too (the service lets a JID own
// several leaves: its identity rule, component/ds/commit_check.cpp CM-4, only asks that the
// committing leaf name the XMPP sender), this process joins them from their Welcome, and each
// commits one UpdatePath after the Adds: without that, every parent node stays blank and each
// UpdatePath of leaf 0 costs one HPKE encryption per leaf (~9 ms at 100 leaves, ~85 ms at 1,000;
// docs/benchmarks.md), which on a small machine measures the generator instead of the service.
mls::Group make_group(Session& s, const mls::CipherSuite& suite, const std::string& owner,
                      const std::string& room, std::size_t members, std::size_t batch,
                      const std::vector<mls::Extension>& exts, const std::string& tag, bool fill) {
  s.enter(room);
  mls::Bytes gid(16);
  mls::system_rng().fill(gid);
  auto g = must(mls::Group::create(suite, gid, bundle_for(suite, owner), exts), "group");
  auto gi = must(g.group_info(false), "group info");
  auto reply = s.request(cc::create_request(room, wrap(gi), g.tree().encode()), "create " + room);
  Session::check_accepted(reply, "create " + room);
  const std::vector<std::uint32_t> fillers =
      fill ? copath_leaves(members) : std::vector<std::uint32_t>{};
  std::map<std::uint32_t, mls::Group> filler_groups;
  for (std::size_t added = 1; added < members;) {
    mls::CommitOptions o;
    o.ratchet_tree_in_welcome = false;  // the added leaves never join, or get the tree below
    std::map<std::uint32_t, mls::KeyPackageBundle> joining;
    // Adds fill the leftmost blank leaves in order (RFC 9420 §12.1.1) and this tree has none,
    // so the n-th Add lands on leaf `added`.
    for (; added < members && o.proposals.size() < batch; ++added) {
      const auto leaf = static_cast<std::uint32_t>(added);
      const bool mine = std::find(fillers.begin(), fillers.end(), leaf) != fillers.end();
      const std::string jid =
          mine ? owner
               : tag + "-m" + std::to_string(added) + "@" + owner.substr(owner.find('@') + 1);
      auto b = bundle_for(suite, jid);
      o.proposals.push_back(mls::Proposal{mls::Add{b.key_package}});
      if (mine) joining.emplace(leaf, std::move(b));
    }
    auto out = must(g.commit(std::move(o)), "add commit");
    s.commit_sync(room, out, "adds to " + room);
    for (auto& [leaf, fg] : filler_groups) apply(fg, out.message, "filler applies adds");
    g = std::move(out.staged).merge();
    for (auto& [leaf, b] : joining) {
      filler_groups.emplace(leaf, must(mls::Group::join(suite, *out.welcome, b.key_package,
                                                        b.clone().secrets, g.tree().to_nodes()),
                                       "filler join"));
    }
  }
  for (auto& [leaf, fg] : filler_groups) {
    auto out = must(fg.commit(mls::CommitOptions{}), "filler commit");
    s.commit_sync(room, out, "filler commit in " + room);
    for (auto& [other, og] : filler_groups) {
      if (other != leaf) apply(og, out.message, "filler applies commit");
    }
    apply(g, out.message, "owner applies filler commit");
    fg = std::move(out.staged).merge();
  }
  return g;
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto i = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

double mean(const std::vector<double>& v) {
  double sum = 0;
  for (double x : v) sum += x;
  return v.empty() ? 0 : sum / static_cast<double>(v.size());
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
                                a.prefix + std::to_string(i), a.fill);
  }
  std::fprintf(stderr, "setup: %zu rooms of %zu members in %.1f s\n", a.rooms, a.members,
               std::chrono::duration<double>(Clock::now() - setup0).count());
  // The setup's fan-out and Welcomes were queued unread; they would be read inside the clock.
  std::size_t drained = 0;
  while (must(s.t->poll(std::chrono::milliseconds(200)), "drain")) ++drained;
  std::fprintf(stderr, "setup: %zu queued stanzas drained\n", drained);

  std::map<std::string, std::size_t> in_flight;  // IQ id -> room
  std::vector<double> latency_ms;
  std::vector<double> build_ms;  // Group::commit + encoding, outside the latency clock
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
        const auto b0 = Clock::now();
        r.pending = must(r.group->commit(mls::CommitOptions{}), "update commit");
        const mls::Bytes c = mls::encode(r.pending->message);
        const mls::Bytes gi = wrap(r.pending->group_info);
        Element iq = cc::commit_request(r.jid, c, std::nullopt, gi);
        build_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - b0).count());
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
      "\"p99_ms\":%.2f,\"max_ms\":%.2f,\"copath_filled\":%s,\"build_p50_ms\":%.2f,"
      "\"build_p99_ms\":%.2f,\"build_mean_ms\":%.2f}\n",
      a.rooms, a.members, a.rate, secs, latency_ms.size(),
      static_cast<double>(latency_ms.size()) / secs, refused, skipped, percentile(latency_ms, 0.5),
      percentile(latency_ms, 0.99), percentile(latency_ms, 1.0), a.fill ? "true" : "false",
      percentile(build_ms, 0.5), percentile(build_ms, 0.99), mean(build_ms));
  return refused == 0 ? 0 : 1;
}

int run_add(const Args& a, Session& s, const mls::CipherSuite& suite) {
  const std::string owner = bare(s.t->jid());
  const auto exts = external_senders(s);
  const std::string room = a.prefix + "@" + s.service;
  const auto setup0 = Clock::now();
  auto g = make_group(s, suite, owner, room, a.members - 1, a.batch, exts, a.prefix, a.fill);
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
      "\"joined_ms\":%.1f,\"welcome_bytes\":%zu,\"copath_filled\":%s}\n",
      a.members - 1, ms(t_built), ms(t_accepted), ms(*t_joined),
      out.welcome ? wrap(*out.welcome).size() : std::size_t{0}, a.fill ? "true" : "false");
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
                 "[--prefix P] [--fill 0|1] [--joiner JID --joiner-password P]\n");
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

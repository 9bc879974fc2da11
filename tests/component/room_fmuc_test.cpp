// Federated rooms (XEP-0289, component/muc/room_fmuc.cpp, docs/federation.md §2): a home room
// and its mirror, both on the fake service here, with the stanzas between them delivered by the
// test as the servers' s2s would, or bounced or held back as a lost link would.
#include <gtest/gtest.h>

#include "component/muc/room.h"
#include "fakes.h"

namespace conclave::component::testing {
namespace {

const std::string kAlice = "alice@example.org/phone";  // owner of the home
const std::string kBob = "bob@other.org/pc";           // owner of the mirror
const std::string kCarol = "carol@other.org/pc";       // joins at the mirror
const std::string kDave = "dave@example.org/pc";       // joins at the home
constexpr const char* kFmuc = "http://isode.com/protocol/fmuc";
constexpr const char* kMucUser = "http://jabber.org/protocol/muc#user";

class FmucTest : public ServiceTest {
 protected:
  struct Timer {
    std::chrono::milliseconds delay;
    std::function<void()> task;
  };
  std::vector<Timer> timers;
  bool link_up = true;  // false: stanzas between the rooms are lost (bounced when `bounce`)
  bool bounce = false;
  std::vector<xmpp::Element> held;  // stanzas between the rooms while the link is down
  std::string drop_to;              // set: what goes to this room is lost (one way only)

  // The mirror lives on a service of its own (its own deployment), sharing the fakes.
  std::unique_ptr<MucService> mirror_svc;

  void SetUp() override {
    service = make();
    mirror_svc = make();
  }
  // The mirror's deployment restarts: a new service loads its persistent rooms from the store.
  void restart_mirror() {
    mirror_svc = make();
    ASSERT_TRUE(mirror_svc->load().has_value());
  }
  void route(xmpp::Element s) {
    auto to = xmpp::Jid::parse(s.attr_or("to"));
    if (to && to->bare_string() == mirror()) {
      mirror_svc->dispatch(std::move(s));
    } else {
      service->dispatch(std::move(s));
    }
  }
  void send(const std::string& xml) override { route(stanza(xml)); }

  std::unique_ptr<MucService> make() {
    RoomEnv env;
    env.services = &services;
    env.rooms = &room_store;
    env.archive = &archive;
    env.new_salt = [this] { return "salt" + std::to_string(++ids); };
    env.max_history = 50;
    env.mam_max_page = 100;
    env.schedule = [this](std::chrono::milliseconds d, std::function<void()> t) {
      timers.push_back({d, std::move(t)});
    };
    return std::make_unique<MucService>(ServiceInfo{kService, "Test rooms"}, std::move(env));
  }

  static std::string home() { return room("home"); }
  static std::string mirror() { return room("mirror"); }
  static bool between_rooms(const xmpp::Element& s) {
    auto to = xmpp::Jid::parse(s.attr_or("to"));
    auto from = xmpp::Jid::parse(s.attr_or("from"));
    return to && from && to->domain() == kService && from->domain() == kService &&
           !to->node().empty() && !from->node().empty();
  }

  // Delivers what the rooms sent each other until nothing more comes (bounded); returns what
  // went to users.
  std::vector<xmpp::Element> pump() {
    std::vector<xmpp::Element> to_users;
    for (int round = 0; round < 50; ++round) {
      auto sent = take();
      bool any = false;
      for (auto& s : sent) {
        if (!between_rooms(s)) {
          to_users.push_back(std::move(s));
          continue;
        }
        any = true;
        if (!drop_to.empty() && xmpp::Jid::parse(s.attr_or("to"))->bare_string() == drop_to &&
            !(s.name() == "iq" && s.attr_or("type") == "result")) {
          continue;  // lost one way only (answers to that room's own probes still arrive)
        }
        if (link_up) {
          route(std::move(s));
        } else if (bounce) {
          // The sending server's answer for a peer it cannot reach (RFC 6120 §8.3.3.14).
          auto r = xmpp::error_reply(
              s, xmpp::StanzaError::of(xmpp::StanzaCondition::remote_server_not_found));
          if (r) route(std::move(*r));
        } else {
          held.push_back(std::move(s));
        }
      }
      if (!any) return to_users;
    }
    ADD_FAILURE() << "the rooms kept talking to each other";
    return to_users;
  }

  // The owner's configuration submit, with what the rooms send each other delivered.
  std::string submit(const std::string& owner, const std::string& room_jid,
                     const std::map<std::string, std::string>& fields) {
    send(config_submit(owner, room_jid, fields));
    for (const auto& e : pump()) {
      if (e.name() == "iq" && e.attr_or("id") == "cfg") return std::string(e.attr_or("type"));
    }
    return "none";
  }

  // Runs the timers due (probes, relinks) and delivers what follows; returns what users got.
  std::vector<xmpp::Element> fire() {
    auto t = std::move(timers);
    timers.clear();
    for (auto& x : t) x.task();
    return pump();
  }

  // The home (owned by alice, allowing the mirror) and the mirror (owned by bob), linked.
  void federate() {
    join(kAlice, home() + "/Alice");
    // Both persistent: they share the fakes, and a restarted service purges temporary rooms.
    ASSERT_EQ(configure(kAlice, home(),
                        {{"{urn:xmpp:mls:0}fmuc_mirrors", mirror()},
                         {"muc#roomconfig_persistentroom", "1"}}),
              "result");
    join(kBob, mirror() + "/Bob");
    ASSERT_EQ(
        submit(kBob, mirror(),
               {{"{urn:xmpp:mls:0}fmuc_home", home()}, {"muc#roomconfig_persistentroom", "1"}}),
        "result");
  }

  static bool presence_of(const xmpp::Element& s, const std::string& to, const std::string& from,
                          bool available = true) {
    return s.name() == "presence" && s.attr_or("to") == to && s.attr_or("from") == from &&
           (s.attr_or("type") == "unavailable") != available;
  }
  static int count(const std::vector<xmpp::Element>& all,
                   const std::function<bool(const xmpp::Element&)>& pred) {
    return static_cast<int>(std::count_if(all.begin(), all.end(), pred));
  }
  static std::function<bool(const xmpp::Element&)> body_to(const std::string& to,
                                                           const std::string& from,
                                                           const std::string& body) {
    return [=](const xmpp::Element& s) {
      return s.name() == "message" && s.attr_or("to") == to && s.attr_or("from") == from &&
             s.child_text("body", xmpp::ns::kComponent) == body;
    };
  }
  void say(const std::string& from, const std::string& room_jid, const std::string& body) {
    send("<message type='groupchat' id='" + body + "' from='" + from + "' to='" + room_jid +
         "'><body>" + body + "</body></message>");
  }
  std::size_t rows_with(const std::string& body) const {
    std::size_t n = 0;
    for (const auto& r : archive.rows) {
      if (r.room.str() == home() && r.stanza.find(">" + body + "<") != std::string::npos) ++n;
    }
    return n;
  }
  std::size_t mirror_rows_with(const std::string& body) const {
    std::size_t n = 0;
    for (const auto& r : archive.rows) {
      if (r.room.str() == mirror() && r.stanza.find(">" + body + "<") != std::string::npos) ++n;
    }
    return n;
  }
  std::shared_ptr<Room> room_of(const std::string& jid) {
    auto r = *RoomJid::parse(jid);
    return jid == mirror() ? mirror_svc->find_room(r) : service->find_room(r);
  }
};

TEST_F(FmucTest, TheMirrorSettingsAreInTheFormStoredAndChecked) {
  join(kAlice, home() + "/Alice");
  EXPECT_EQ(configure(kAlice, home(), {{"{urn:xmpp:mls:0}fmuc_mirrors", mirror()}}), "result");
  EXPECT_EQ(room_of(home())->config().fmuc_mirrors, std::vector<std::string>{mirror()});
  // Not a room JID; and one room both a home and a mirror (a tree's middle node: not built).
  EXPECT_EQ(configure(kAlice, home(), {{"{urn:xmpp:mls:0}fmuc_home", "not a jid@@"}}), "error");
  EXPECT_EQ(configure(kAlice, home(), {{"{urn:xmpp:mls:0}fmuc_home", "example.org"}}), "error");
  EXPECT_EQ(configure(kAlice, home(), {{"{urn:xmpp:mls:0}fmuc_home", mirror()}}), "error");
  EXPECT_TRUE(room_of(home())->config().fmuc_home.empty());
  // Saved with the room and read back.
  RoomConfig back = read_settings(room_store.rows.at(*RoomJid::parse(home())).settings);
  EXPECT_EQ(back.fmuc_mirrors, std::vector<std::string>{mirror()});
  auto form = iq(kAlice, home(), "get", "<query xmlns='http://jabber.org/protocol/muc#owner'/>");
  EXPECT_NE(xmpp::to_string(form).find("fmuc_mirrors"), std::string::npos);
}

TEST_F(FmucTest, UsersOfBothNodesSeeEachOtherAndTalk) {
  federate();
  EXPECT_EQ(room_of(home())->fmuc_linked(), std::set<std::string>{mirror()});
  EXPECT_EQ(room_of(mirror())->fmuc_linked(), std::set<std::string>{home()});
  // The mirror's user is an occupant of the home, and the home's of the mirror.
  ASSERT_NE(room_of(home())->occupant("Bob"), nullptr);
  EXPECT_EQ(room_of(home())->occupant("Bob")->node, mirror());
  ASSERT_NE(room_of(mirror())->occupant("Alice"), nullptr);
  EXPECT_EQ(room_of(mirror())->occupant("Alice")->node, home());

  send("<presence from='" + kCarol + "' to='" + mirror() +
       "/Carol'><x xmlns='http://jabber.org/protocol/muc'/></presence>");
  auto seen = pump();
  // Carol's roster at the mirror names Alice (from the home); Alice sees Carol join, with her
  // real JID (Alice is a moderator), and no stanza goes to Carol's JID from the home itself.
  EXPECT_EQ(count(seen, [](const auto& s) { return presence_of(s, kCarol, mirror() + "/Alice"); }),
            1);
  EXPECT_EQ(count(seen, [](const auto& s) { return presence_of(s, kAlice, home() + "/Carol"); }),
            1);
  for (const auto& s : seen) {
    if (presence_of(s, kAlice, home() + "/Carol")) {
      EXPECT_EQ(s.child("x", kMucUser)->child("item", kMucUser)->attr_or("jid"), kCarol);
      EXPECT_EQ(s.child("fmuc", kFmuc), nullptr);  // federation elements never reach users
    }
    EXPECT_NE(s.attr_or("from").rfind(home(), 0) == 0 && s.attr_or("to") == kCarol, true);
  }

  say(kCarol, mirror(), "hello-from-the-mirror");
  seen = pump();
  EXPECT_EQ(count(seen, body_to(kAlice, home() + "/Carol", "hello-from-the-mirror")), 1);
  EXPECT_EQ(count(seen, body_to(kBob, mirror() + "/Carol", "hello-from-the-mirror")), 1);
  EXPECT_EQ(count(seen, body_to(kCarol, mirror() + "/Carol", "hello-from-the-mirror")), 1);
  EXPECT_EQ(rows_with("hello-from-the-mirror"), 1u);  // each node archives it once
  EXPECT_EQ(mirror_rows_with("hello-from-the-mirror"), 1u);
  for (const auto& s : seen) {
    if (body_to(kAlice, home() + "/Carol", "hello-from-the-mirror")(s)) {
      // The home's own stanza-id and the origin's, and the home's occupant-id.
      std::set<std::string> by;
      for (const auto* sid : s.children_named("stanza-id", "urn:xmpp:sid:0")) {
        by.insert(std::string(sid->attr_or("by")));
      }
      EXPECT_EQ(by, (std::set<std::string>{home(), mirror()}));
      EXPECT_EQ(s.child("fmuc", kFmuc), nullptr);
    }
  }

  say(kAlice, home(), "hello-from-the-home");
  seen = pump();
  EXPECT_EQ(count(seen, body_to(kCarol, mirror() + "/Alice", "hello-from-the-home")), 1);
  EXPECT_EQ(count(seen, body_to(kBob, mirror() + "/Alice", "hello-from-the-home")), 1);
  EXPECT_EQ(count(seen, body_to(kAlice, home() + "/Alice", "hello-from-the-home")), 1);
  EXPECT_EQ(mirror_rows_with("hello-from-the-home"), 1u);

  // A private message across the nodes (§4.5).
  send("<message type='chat' id='pm' from='" + kCarol + "' to='" + mirror() +
       "/Alice'><body>psst</body></message>");
  seen = pump();
  EXPECT_EQ(count(seen, body_to(kAlice, home() + "/Carol", "psst")), 1);
  EXPECT_EQ(rows_with("psst"), 0u);  // never archived
}

TEST_F(FmucTest, LeavingIsSeenOnTheOtherNodeAndTheLastUserEndsTheLink) {
  federate();
  send("<presence type='unavailable' from='" + kBob + "' to='" + mirror() + "/Bob'/>");
  auto seen = pump();
  EXPECT_EQ(count(seen,
                  [](const auto& s) {
                    return presence_of(s, kAlice, home() + "/Bob", /*available=*/false);
                  }),
            1);
  EXPECT_EQ(room_of(home())->occupant("Bob"), nullptr);
  // §4.4: the mirror's last user left, so it left the set.
  EXPECT_TRUE(room_of(home())->fmuc_linked().empty());
  EXPECT_TRUE(room_of(mirror())->fmuc_linked().empty());
  // It links again when someone joins there.
  send("<presence from='" + kCarol + "' to='" + mirror() +
       "/Carol'><x xmlns='http://jabber.org/protocol/muc'/></presence>");
  pump();
  EXPECT_EQ(room_of(home())->fmuc_linked(), std::set<std::string>{mirror()});
  ASSERT_NE(room_of(home())->occupant("Carol"), nullptr);
}

TEST_F(FmucTest, ARoomTheHomeDoesNotListIsRejected) {
  join(kAlice, home() + "/Alice");
  ASSERT_EQ(configure(kAlice, home(), {{"{urn:xmpp:mls:0}fmuc_mirrors", room("other")}}), "result");
  join(kBob, mirror() + "/Bob");
  ASSERT_EQ(submit(kBob, mirror(), {{"{urn:xmpp:mls:0}fmuc_home", home()}}), "result");
  auto seen = pump();
  EXPECT_TRUE(room_of(mirror())->fmuc_refused());
  EXPECT_TRUE(room_of(home())->fmuc_linked().empty());
  EXPECT_EQ(room_of(home())->occupant("Bob"), nullptr);
  EXPECT_EQ(count(seen, [](const auto& s) { return s.attr_or("to") == kAlice; }), 0);
  // And it stops asking: no retry once refused.
  ASSERT_FALSE(timers.empty());
  EXPECT_TRUE(fire().empty());
}

TEST_F(FmucTest, TheHomesBanAndMembersOnlyRulesHoldForMirrorUsers) {
  federate();
  ASSERT_EQ(iq(kAlice, home(), "set",
               "<query xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='outcast' "
               "jid='carol@other.org'/></query>")
                .attr_or("type"),
            "result");
  send("<presence from='" + kCarol + "' to='" + mirror() +
       "/Carol'><x xmlns='http://jabber.org/protocol/muc'/></presence>");
  auto seen = pump();
  EXPECT_EQ(room_of(home())->occupant("Carol"), nullptr);
  EXPECT_EQ(room_of(mirror())->occupant("Carol"), nullptr);  // removed at the mirror too
  EXPECT_EQ(count(seen,
                  [](const auto& s) {
                    return presence_of(s, kCarol, mirror() + "/Carol", false) && has_code(s, 307);
                  }),
            1);
}

TEST_F(FmucTest, ANicknameHeldAtTheHomeIsRefusedToAMirrorUser) {
  federate();
  // The mirror knows the home's Alice: Carol's join there under that name is a conflict.
  send("<presence from='" + kCarol + "' to='" + mirror() +
       "/Alice'><x xmlns='http://jabber.org/protocol/muc'/></presence>");
  auto first = pump();
  EXPECT_EQ(count(first,
                  [](const auto& s) {
                    return s.attr_or("to") == kCarol && error_condition(s) == "conflict";
                  }),
            1);
  EXPECT_EQ(room_of(mirror())->occupant("Alice")->node, home());
  // Both take "Zed" at once, each at its node, before either node hears of the other (the
  // link holds their presences): the home's Zed stays, the mirror's is removed there.
  link_up = false;
  send("<presence from='" + kDave + "' to='" + home() +
       "/Zed'><x xmlns='http://jabber.org/protocol/muc'/></presence>");
  send("<presence from='" + kCarol + "' to='" + mirror() +
       "/Zed'><x xmlns='http://jabber.org/protocol/muc'/></presence>");
  pump();
  ASSERT_EQ(held.size(), 2u);
  link_up = true;
  for (auto& h : held) route(std::move(h));
  held.clear();
  auto seen = pump();
  ASSERT_NE(room_of(home())->occupant("Zed"), nullptr);
  EXPECT_EQ(room_of(home())->occupant("Zed")->bare.bare_string(), "dave@example.org");
  ASSERT_NE(room_of(mirror())->occupant("Zed"), nullptr);
  EXPECT_EQ(room_of(mirror())->occupant("Zed")->bare.bare_string(), "dave@example.org");
  EXPECT_EQ(count(seen,
                  [](const auto& s) {
                    return presence_of(s, kCarol, mirror() + "/Zed", false) && has_code(s, 307);
                  }),
            1);
  // Alice never saw Carol as Zed.
  for (const auto& s : seen) {
    if (s.attr_or("to") == kAlice && s.attr_or("from") == home() + "/Zed") {
      EXPECT_EQ(s.child("x", kMucUser)->child("item", kMucUser)->attr_or("jid"), kDave);
    }
  }
}

TEST_F(FmucTest, ALostLinkEndsWithStatus333AndTheCatchUpBringsWhatWasSaidMeanwhile) {
  federate();
  send("<presence from='" + kCarol + "' to='" + mirror() +
       "/Carol'><x xmlns='http://jabber.org/protocol/muc'/></presence>");
  pump();
  say(kAlice, home(), "before");
  pump();
  // The link goes: the home's next stanza to the mirror bounces.
  link_up = false;
  bounce = true;
  say(kAlice, home(), "during-1");
  auto seen = pump();
  // The home lost the mirror's occupants (333), and the mirror's bounce of nothing: the mirror
  // learns when its own stanza bounces.
  EXPECT_EQ(room_of(home())->occupant("Carol"), nullptr);
  EXPECT_TRUE(count(seen, [](const auto& s) {
                return presence_of(s, kAlice, home() + "/Carol", false) && has_code(s, 333);
              }) == 1);
  say(kCarol, mirror(), "mirror-during");
  seen = pump();
  EXPECT_EQ(room_of(mirror())->occupant("Alice"), nullptr);
  EXPECT_EQ(count(seen,
                  [](const auto& s) {
                    return presence_of(s, kCarol, mirror() + "/Alice", false) && has_code(s, 333);
                  }),
            1);
  // Each side went on talking locally (primary-primary).
  EXPECT_EQ(count(seen, body_to(kCarol, mirror() + "/Carol", "mirror-during")), 1);
  say(kAlice, home(), "during-2");
  pump();

  // The link comes back; the mirror's retry forms it again, with the catch-up both ways.
  link_up = true;
  bounce = false;
  for (int i = 0; i < 5 && room_of(mirror())->fmuc_linked().empty(); ++i) {
    ASSERT_FALSE(timers.empty());
    seen = fire();
  }
  EXPECT_EQ(room_of(mirror())->fmuc_linked(), std::set<std::string>{home()});
  EXPECT_EQ(count(seen, body_to(kCarol, mirror() + "/Alice", "during-1")), 1);
  EXPECT_EQ(count(seen, body_to(kCarol, mirror() + "/Alice", "during-2")), 1);
  EXPECT_EQ(count(seen, body_to(kCarol, mirror() + "/Alice", "before")), 0);  // had it
  EXPECT_EQ(count(seen, body_to(kAlice, home() + "/Carol", "mirror-during")), 1);
  EXPECT_NE(room_of(home())->occupant("Carol"), nullptr);
  EXPECT_NE(room_of(mirror())->occupant("Alice"), nullptr);
  // Every message exactly once in each archive.
  for (const char* b : {"before", "during-1", "during-2", "mirror-during"}) {
    EXPECT_EQ(rows_with(b), 1u) << b;
    EXPECT_EQ(mirror_rows_with(b), 1u) << b;
  }
}

TEST_F(FmucTest, AMirrorThatNeverTookAMessageCatchesUpMoreThanTheHistory) {
  federate();
  // The link goes before any message was said (the mirror has no catch-up point), and the home
  // says more than its join history holds (20) meanwhile.
  link_up = false;
  bounce = true;
  for (int i = 0; i < 30; ++i) say(kAlice, home(), "split-" + std::to_string(i));
  pump();
  say(kBob, mirror(), "mirror-side");
  pump();
  EXPECT_TRUE(room_of(mirror())->fmuc_linked().empty());
  link_up = true;
  bounce = false;
  std::vector<xmpp::Element> seen;
  for (int i = 0; i < 5 && room_of(mirror())->fmuc_linked().empty(); ++i) {
    for (auto& x : fire()) seen.push_back(std::move(x));
  }
  for (int i = 0; i < 30; ++i) {
    const std::string text = "split-" + std::to_string(i);
    EXPECT_EQ(count(seen, body_to(kBob, mirror() + "/Alice", text)), 1) << text;
    EXPECT_EQ(mirror_rows_with(text), 1u) << text;
  }
  EXPECT_EQ(rows_with("mirror-side"), 1u);
}

TEST_F(FmucTest, ARelayedMessageThatComesTwiceIsTakenOnce) {
  federate();
  link_up = false;  // hold what goes between the rooms
  say(kBob, mirror(), "once");
  pump();
  ASSERT_EQ(held.size(), 1u);
  link_up = true;
  route(held[0]);
  route(held[0]);
  auto seen = pump();
  EXPECT_EQ(count(seen, body_to(kAlice, home() + "/Bob", "once")), 1);
  EXPECT_EQ(rows_with("once"), 1u);
}

TEST_F(FmucTest, FederationElementsFromAnyoneElseAreRefusedAndStripped) {
  federate();
  // A client claims to speak for someone else: refused, nothing reflected.
  send("<message type='groupchat' id='x' from='" + kDave + "' to='" + home() +
       "'><body>forged</body><fmuc xmlns='http://isode.com/protocol/fmuc' "
       "from='someone@example.org/x'/></message>");
  auto seen = pump();
  EXPECT_EQ(count(seen, [](const auto& s) { return error_condition(s) == "not-allowed"; }), 1);
  EXPECT_EQ(rows_with("forged"), 0u);
  // A room outside the set sends a join: rejected, and no room or occupant comes of it.
  send("<presence from='" + room("stranger") + "/Eve' to='" + home() +
       "/Eve'><fmuc xmlns='http://isode.com/protocol/fmuc' from='eve@evil.example/x'/>"
       "<x xmlns='http://jabber.org/protocol/muc'/></presence>");
  seen = take();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].attr_or("to"), room("stranger"));
  ASSERT_NE(seen[0].child("fmuc", kFmuc), nullptr);
  EXPECT_NE(seen[0].child("fmuc", kFmuc)->child("reject", kFmuc), nullptr);
  EXPECT_EQ(room_of(home())->occupant("Eve"), nullptr);
  // The same to a room that does not exist creates none.
  send("<presence from='" + room("stranger") + "/Eve' to='" + room("nowhere") +
       "/Eve'><fmuc xmlns='http://isode.com/protocol/fmuc' from='eve@evil.example/x'/>"
       "<x xmlns='http://jabber.org/protocol/muc'/></presence>");
  take();
  EXPECT_EQ(room_of(room("nowhere")), nullptr);
}

TEST_F(FmucTest, ANodeSpeaksOnlyForItsOwnOccupants) {
  federate();
  // The mirror (or whoever its server lets speak as it) claims the home's Alice.
  send("<message type='groupchat' id='x' from='" + mirror() + "/Alice' to='" + home() +
       "'><body>not-alice</body><fmuc xmlns='http://isode.com/protocol/fmuc' "
       "from='mallory@other.org/x'/></message>");
  send("<message type='chat' id='y' from='" + mirror() + "/Alice' to='" + home() +
       "/Alice'><body>not-alice-pm</body><fmuc xmlns='http://isode.com/protocol/fmuc' "
       "from='mallory@other.org/x'/></message>");
  auto seen = pump();
  EXPECT_EQ(count(seen, [](const auto& s) { return s.attr_or("to") == kAlice; }), 0);
  EXPECT_EQ(rows_with("not-alice"), 0u);
}

TEST_F(FmucTest, AMirrorServesNoMlsGroupOfItsOwn) {
  federate();
  auto r = iq(kBob, mirror(), "get", "<group-info xmlns='urn:xmpp:mls:0'/>");
  EXPECT_EQ(r.attr_or("type"), "error");
  EXPECT_EQ(error_condition(r), "feature-not-implemented");
  send("<message type='groupchat' id='c' from='" + kBob + "' to='" + mirror() +
       "'><commit xmlns='urn:xmpp:mls:0'>AAAA</commit></message>");
  auto seen = pump();
  EXPECT_EQ(
      count(seen, [](const auto& s) { return error_condition(s) == "feature-not-implemented"; }),
      1);
  EXPECT_EQ(count(seen, [](const auto& s) { return s.attr_or("to") == kAlice; }), 0);
}

TEST_F(FmucTest, ARestartedMirrorCatchesUpFromWhereItWas) {
  federate();
  say(kAlice, home(), "seen-before");
  pump();
  // The mirror's deployment stops (its occupants are told 332, the home sees them go) and
  // comes back from the store while the home talks on.
  mirror_svc->shutdown();
  pump();
  EXPECT_EQ(room_of(home())->occupant("Bob"), nullptr);
  say(kAlice, home(), "missed-1");
  say(kAlice, home(), "missed-2");
  pump();
  restart_mirror();
  send("<presence from='" + kBob + "' to='" + mirror() +
       "/Bob'><x xmlns='http://jabber.org/protocol/muc'/></presence>");
  auto seen = pump();
  EXPECT_EQ(count(seen, body_to(kBob, mirror() + "/Alice", "missed-1")), 1);
  EXPECT_EQ(count(seen, body_to(kBob, mirror() + "/Alice", "missed-2")), 1);
  // What it had is not taken again (Bob's join history shows it once, from the mirror).
  EXPECT_EQ(count(seen, body_to(kBob, mirror() + "/Alice", "seen-before")), 1);
  EXPECT_EQ(mirror_rows_with("seen-before"), 1u);
  EXPECT_EQ(mirror_rows_with("missed-1"), 1u);
}

TEST_F(FmucTest, ProbesKeepALiveLinkAndEndASilentOne) {
  federate();
  // Answered probes: nothing changes, however many rounds.
  for (int i = 0; i < 3; ++i) fire();
  EXPECT_EQ(room_of(home())->fmuc_linked(), std::set<std::string>{mirror()});
  EXPECT_EQ(room_of(mirror())->fmuc_linked(), std::set<std::string>{home()});
  // A cut that bounces nothing (the packets are dropped): the next probe goes unanswered, and
  // the one after ends the link on both sides.
  link_up = false;
  fire();
  EXPECT_FALSE(room_of(home())->fmuc_linked().empty());
  auto seen = fire();
  EXPECT_TRUE(room_of(home())->fmuc_linked().empty());
  EXPECT_TRUE(room_of(mirror())->fmuc_linked().empty());
  EXPECT_EQ(count(seen,
                  [](const auto& s) {
                    return presence_of(s, kAlice, home() + "/Bob", false) && has_code(s, 333);
                  }),
            1);
  EXPECT_EQ(count(seen,
                  [](const auto& s) {
                    return presence_of(s, kBob, mirror() + "/Alice", false) && has_code(s, 333);
                  }),
            1);
  // Each side's occupants are told (docs/protocol.md §6.13), naming the other node.
  auto notice = [](const std::string& to, const std::string& room_jid, const char* kind,
                   const std::string& node) {
    return [=](const xmpp::Element& s) {
      const auto* n = s.child(kind, "urn:xmpp:mls:0");
      return s.name() == "message" && s.attr_or("to") == to && s.attr_or("from") == room_jid &&
             n != nullptr && n->attr_or("node") == node &&
             !s.child_text("body", xmpp::ns::kComponent).empty();
    };
  };
  EXPECT_EQ(count(seen, notice(kAlice, home(), "netsplit", mirror())), 1);
  EXPECT_EQ(count(seen, notice(kBob, mirror(), "netsplit", home())), 1);
  // Healed: the mirror's retry links again, and both sides hear of it.
  link_up = true;
  held.clear();
  std::vector<xmpp::Element> after;
  for (int i = 0; i < 5 && room_of(mirror())->fmuc_linked().empty(); ++i) {
    for (auto& x : fire()) after.push_back(std::move(x));
  }
  EXPECT_EQ(room_of(home())->fmuc_linked(), std::set<std::string>{mirror()});
  EXPECT_NE(room_of(home())->occupant("Bob"), nullptr);
  EXPECT_EQ(count(after, notice(kAlice, home(), "healed", mirror())), 1);
  EXPECT_EQ(count(after, notice(kBob, mirror(), "healed", home())), 1);
  // The history the admin command shows: linked, netsplit, healed.
  const auto& h = room_of(home())->fmuc_history();
  ASSERT_EQ(h.size(), 3u);
  EXPECT_NE(h[0].find(" linked " + mirror()), std::string::npos);
  EXPECT_NE(h[1].find(" netsplit " + mirror()), std::string::npos);
  EXPECT_NE(h[2].find(" healed " + mirror()), std::string::npos);
}

TEST_F(FmucTest, ALinkOnlyOneSideEndedIsFormedAgain) {
  federate();
  // What the home sends the mirror is lost for two probe rounds (the mirror's probes are
  // answered): the home ends the link, the mirror still holds it.
  drop_to = mirror();
  fire();
  fire();
  EXPECT_TRUE(room_of(home())->fmuc_linked().empty());
  EXPECT_EQ(room_of(mirror())->fmuc_linked(), std::set<std::string>{home()});
  // The home refuses the mirror's next probe ("not linked"), so the mirror ends its side too
  // (its probes were answered until then) and, once the way back works, links again.
  drop_to.clear();
  for (int i = 0; i < 6 && room_of(home())->fmuc_linked().empty(); ++i) fire();
  EXPECT_EQ(room_of(home())->fmuc_linked(), std::set<std::string>{mirror()});
  EXPECT_EQ(room_of(mirror())->fmuc_linked(), std::set<std::string>{home()});
  EXPECT_NE(room_of(home())->occupant("Bob"), nullptr);
  EXPECT_NE(room_of(mirror())->occupant("Alice"), nullptr);
}

TEST_F(FmucTest, AMirrorThatDiedLosesAtTheHomeTheOccupantsThatDidNotComeBack) {
  federate();
  send("<presence from='" + kCarol + "' to='" + mirror() +
       "/Carol'><x xmlns='http://jabber.org/protocol/muc'/></presence>");
  pump();
  ASSERT_NE(room_of(home())->occupant("Carol"), nullptr);
  // Killed: no presence leaves it. The home still shows Bob and Carol.
  restart_mirror();
  EXPECT_NE(room_of(home())->occupant("Carol"), nullptr);
  send("<presence from='" + kBob + "' to='" + mirror() +
       "/Bob'><x xmlns='http://jabber.org/protocol/muc'/></presence>");
  auto seen = pump();
  // Bob's join names who the mirror has now: Carol, who did not come back, leaves the home.
  EXPECT_NE(room_of(home())->occupant("Bob"), nullptr);
  EXPECT_EQ(room_of(home())->occupant("Carol"), nullptr);
  EXPECT_EQ(count(seen,
                  [](const auto& s) {
                    return presence_of(s, kAlice, home() + "/Carol", false) && has_code(s, 333);
                  }),
            1);
  EXPECT_EQ(count(seen, [](const auto& s) { return presence_of(s, kAlice, home() + "/Bob"); }), 1);
}

}  // namespace
}  // namespace conclave::component::testing

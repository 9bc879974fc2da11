// The client's MLS session logic, several clients against the in-memory FakeServer.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <sstream>

#include "client/client.h"
#include "client/script.h"
#include "mls/codec/hex.h"
#include "tests/client/fake_server.h"
#include "tests/client/temp_dir.h"

namespace conclave::client {
namespace {

using testing::FakeServer;
using testing::FakeTransport;
using testing::TempDir;

constexpr std::string_view kRoom = "room1@mls.localhost";
const std::string room(kRoom);

struct Account {
  // One device of account `jid_in`: its own resource and state directory.
  Account(FakeServer& server, std::string jid_in, std::string device = "default",
          ClientOptions options = {})
      : server_(server), jid(std::move(jid_in)), options_(std::move(options)) {
    // The fake server keeps one session per nick: devices other than the first get their own.
    if (device != "default") options_.nick = jid.substr(0, jid.find('@')) + "-" + device;
    options_.device = std::move(device);
    connect();
  }
  void connect() {
    client.reset();
    transport = server_.connect(jid + "/" + options_.device);
    auto store = AccountStore::open(dir.path());
    EXPECT_TRUE(store);
    auto c = Client::open(*transport, std::move(*store), options_);
    EXPECT_TRUE(c) << c.error().message();
    client = std::move(*c);
    auto s = client->start();
    EXPECT_TRUE(s) << s.error().message();
  }
  void go_offline() {
    client.reset();
    transport.reset();
  }
  // pump handles everything queued and returns the events.
  std::vector<Event> pump() {
    auto n = client->pump(std::chrono::milliseconds(0));
    EXPECT_TRUE(n);
    return client->take_events();
  }
  Client* operator->() { return client.get(); }

  FakeServer& server_;
  std::string jid;
  ClientOptions options_;
  TempDir dir;
  std::unique_ptr<FakeTransport> transport;
  std::unique_ptr<Client> client;
};

std::vector<Event> of_type(const std::vector<Event>& events, std::string_view type) {
  std::vector<Event> out;
  for (const Event& e : events) {
    if (e.type == type) out.push_back(e);
  }
  return out;
}

// expect_reads: `to` has exactly one new message, `text` (what it handles now).
void expect_reads(Account& to, const std::string& text) {
  auto got = of_type(to.pump(), "message");
  ASSERT_EQ(got.size(), 1u) << to.jid << " " << to.options_.device;
  EXPECT_EQ(got[0].text, text);
}

// A room with alice (creator) and bob (invited), both at the same epoch.
class SessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(alice->create(room), 0u);
    auto e = alice->invite(room, "bob@localhost");
    ASSERT_TRUE(e) << e.error().message();
    ASSERT_EQ(*e, 1u);
    auto events = bob.pump();
    ASSERT_EQ(of_type(events, "joined").size(), 1u);
    ASSERT_EQ(bob->epoch(room), 1u);
    alice.pump();
  }

  void expect_delivery(Account& from, Account& to, const std::string& text) {
    auto used = from->send(room, text);
    ASSERT_TRUE(used) << used.error().message();
    auto msgs = of_type(to.pump(), "message");
    ASSERT_EQ(msgs.size(), 1u);
    EXPECT_EQ(msgs[0].text, text);
    EXPECT_EQ(msgs[0].from, from.jid);
    EXPECT_EQ(msgs[0].room, room);
    EXPECT_EQ(msgs[0].epoch, *used);
  }

  // Late delivery: bob is offline while alice says `text` in epoch 2 and commits up to epoch 7.
  void say_at_epoch_2_then_move_to_7_without_bob(const std::string& text) {
    bob.go_offline();
    ASSERT_EQ(alice->update(room), 2u);
    ASSERT_TRUE(alice->send(room, text));
    for (std::uint64_t e = 3; e <= 7; ++e) ASSERT_EQ(alice->update(room), e);
    alice.pump();
  }
  // archived_with: the room's archived stanzas carrying an urn:xmpp:mls:0 `child`, in order.
  std::vector<xmpp::Element> archived_with(const std::string& child) {
    std::vector<xmpp::Element> out;
    for (const auto& [sid, m] : server.rooms.at(room).archive) {
      if (m.child(child, ns::kMls) != nullptr) out.push_back(m);
    }
    return out;
  }
  void bob_returns_at_epoch_1() {
    bob.connect();
    bob.pump();
    ASSERT_EQ(bob->epoch(room), 1u);
  }
  // deliver_to_bob: an archived stanza reaches bob as a late live copy.
  void deliver_to_bob(xmpp::Element m) {
    m.set_attr("to", bob.transport->jid());
    bob.transport->deliver(std::move(m));
  }
  // The message said in epoch 2 was read once, without an error, and bob is at the room's epoch.
  void expect_read_once_at_epoch_2(const std::vector<Event>& events, const std::string& text) {
    auto msgs = of_type(events, "message");
    ASSERT_EQ(msgs.size(), 1u);
    EXPECT_EQ(msgs[0].text, text);
    EXPECT_EQ(msgs[0].epoch, 2u);
    EXPECT_TRUE(of_type(events, "error").empty());
    EXPECT_EQ(bob->epoch(room), 7u);
  }

  FakeServer server;
  Account alice{server, "alice@localhost"};
  Account bob{server, "bob@localhost"};
};

TEST_F(SessionTest, InviteWelcomeAndMessagesBothWays) {
  expect_delivery(alice, bob, "hello bob");
  expect_delivery(bob, alice, "hello alice");
  // The sender does not get its own message back as an event.
  EXPECT_TRUE(of_type(alice.pump(), "message").empty());
}

TEST_F(SessionTest, AFederatedRoomsNetsplitAndHealAreEvents) {
  // docs/protocol.md §6.14: the room says so from its bare JID; a stranger's copy is ignored.
  for (const std::string& from : {room, std::string("stranger@elsewhere.example")}) {
    for (const char* kind : {"netsplit", "healed"}) {
      xmpp::Element m = xmpp::make_stanza("message", "groupchat", from, "", "n1");
      m.add_child("body", std::string(ns::kClient)).set_text("link news");
      m.add_child(kind, std::string(ns::kMls)).set_attr("node", "room@mls.b.test");
      deliver_to_bob(std::move(m));
    }
  }
  auto events = bob.pump();
  ASSERT_EQ(of_type(events, "netsplit").size(), 1u);
  ASSERT_EQ(of_type(events, "healed").size(), 1u);
  EXPECT_EQ(of_type(events, "netsplit")[0].room, room);
  EXPECT_EQ(of_type(events, "netsplit")[0].detail, "room@mls.b.test");  // the other node
  EXPECT_EQ(of_type(events, "healed")[0].epoch, 1u);
  EXPECT_TRUE(of_type(events, "error").empty());
  // The group goes on: a message still reads.
  expect_delivery(alice, bob, "after the split");
}

TEST_F(SessionTest, KeyPackagesArePublishedSpentAndReplenished) {
  // start() published the target; claiming one for the invite spent it, the Welcome handler
  // replenished only when below the low-water mark.
  EXPECT_GE(server.one_time_count("bob@localhost"), ClientOptions{}.key_package_low);
  std::size_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(bob.dir.path() / "key-packages")) {
    files += e.path().extension() == ".kp" ? 1 : 0;
  }
  // Every one-time package the service holds has its secrets on disk; the spent one is gone.
  EXPECT_EQ(files, server.one_time_count("bob@localhost"));
}

TEST_F(SessionTest, StateSurvivesRestart) {
  expect_delivery(alice, bob, "before");
  bob.go_offline();
  bob.connect();
  EXPECT_EQ(bob->epoch(room), 1u);
  ASSERT_TRUE(bob->enter(room));
  expect_delivery(alice, bob, "after restart");
  expect_delivery(bob, alice, "reply after restart");
}

TEST_F(SessionTest, SmallTreeTravelsInTheWelcome) {
  // The fixture's invite used the default (automatic): a two-leaf tree is far below the limit,
  // so bob joined without asking the service for the tree.
  EXPECT_EQ(server.group_info_queries, 0u);
  Account carol(server, "carol@localhost");
  ASSERT_EQ(alice->invite(room, "carol@localhost", WelcomeTree::always), 2u);
  ASSERT_EQ(of_type(carol.pump(), "joined").size(), 1u);
  EXPECT_EQ(server.group_info_queries, 0u);
}

TEST_F(SessionTest, WelcomeWithoutTreeJoinsWithTheServicesTree) {
  Account carol(server, "carol@localhost");
  ASSERT_EQ(alice->invite(room, "carol@localhost", WelcomeTree::never), 2u);
  auto joined = of_type(carol.pump(), "joined");
  ASSERT_EQ(joined.size(), 1u);
  EXPECT_EQ(joined[0].epoch, 2u);
  // docs/protocol.md §6.6: the joiner took the tree from <group-info/>.
  EXPECT_EQ(server.group_info_queries, 1u);
  bob.pump();
  expect_delivery(alice, carol, "tree from the service");
  bob.pump();  // alice's message reached bob too
  expect_delivery(carol, bob, "carol to bob");
}

TEST_F(SessionTest, CatchUpFromArchiveAfterBeingOffline) {
  bob.go_offline();
  Account carol(server, "carol@localhost");
  ASSERT_EQ(alice->invite(room, "carol@localhost"), 2u);
  carol.pump();
  ASSERT_TRUE(alice->send(room, "while you were away"));
  ASSERT_EQ(alice->update(room), 3u);
  ASSERT_TRUE(alice->send(room, "in epoch 3"));
  bob.connect();
  auto n = bob->catch_up(room);
  ASSERT_TRUE(n) << n.error().message();
  EXPECT_GE(*n, 4u);
  auto events = bob->take_events();
  auto msgs = of_type(events, "message");
  ASSERT_EQ(msgs.size(), 2u);
  EXPECT_EQ(msgs[0].text, "while you were away");
  EXPECT_EQ(msgs[0].epoch, 2u);
  EXPECT_EQ(msgs[1].text, "in epoch 3");
  EXPECT_EQ(msgs[1].epoch, 3u);
  EXPECT_EQ(of_type(events, "commit").size(), 2u);
  EXPECT_EQ(bob->epoch(room), 3u);
  // A second catch-up starts after the last archived message: nothing is processed twice.
  auto again = bob->catch_up(room);
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, 0u);
  EXPECT_TRUE(of_type(bob->take_events(), "message").empty());
}

// A live copy of a message that arrives late (a reflection a paused instance handed over to
// the next one, docs/cluster.md §3) and is of an epoch ahead of ours starts a catch-up, which
// goes several epochs past it. The catch-up reads the archived copy on its way: the message is
// read once, never lost because its live copy came first.
TEST_F(SessionTest, ALateLiveMessageAheadOfUsIsReadByTheCatchUpItStarts) {
  say_at_epoch_2_then_move_to_7_without_bob("late");
  auto archived = archived_with("encrypted");
  ASSERT_EQ(archived.size(), 1u);
  bob_returns_at_epoch_1();
  deliver_to_bob(archived[0]);
  expect_read_once_at_epoch_2(bob.pump(), "late");
}

// A live commit far ahead of us waits in the queue ahead of the archive's answer to our
// catch-up (as when a room fails over and we re-enter while the others move on). Were it handled
// first, it would fetch every commit up to the room's epoch, and the archived messages of the
// epochs it skipped, more than kPastEpochs behind by then, could no longer be read: found by the
// failover suite's invariant (3) (fault.cluster.prosody.resend, in CI).
TEST_F(SessionTest, ALiveCommitQueuedBeforeTheArchiveWaitsForTheArchive) {
  say_at_epoch_2_then_move_to_7_without_bob("at epoch 2");
  auto commits = archived_with("commit");  // in epoch order: made in 0, 1, ..., 6
  ASSERT_EQ(commits.size(), 7u);
  bob_returns_at_epoch_1();
  // Two live commits reach bob late: the one made in epoch 2 starts a catch-up (bob is at 1),
  // and the one made in epoch 6 is already queued when the archive's answer arrives behind it.
  deliver_to_bob(commits[2]);
  deliver_to_bob(commits[6]);
  expect_read_once_at_epoch_2(bob.pump(), "at epoch 2");
}

TEST_F(SessionTest, CommitRaceIsRetriedOnTopOfTheWinner) {
  ASSERT_EQ(bob->update(room), 2u);
  // Alice has not seen bob's commit: hers is made in epoch 1 and refused with <wrong-epoch/>.
  auto e = alice->update(room);
  ASSERT_TRUE(e) << e.error().message();
  EXPECT_EQ(*e, 3u);
  auto events = alice->take_events();
  ASSERT_EQ(of_type(events, "commit").size(), 2u);  // bob's applied, then ours accepted
  bob.pump();
  EXPECT_EQ(bob->epoch(room), 3u);
  expect_delivery(alice, bob, "after the race");
}

TEST_F(SessionTest, MessageInNewerEpochTriggersCommitFetch) {
  ASSERT_EQ(alice->update(room), 2u);
  // Bob's queue holds the commit and then the message; drop the commit to make a gap.
  bob.go_offline();
  bob.connect();
  ASSERT_TRUE(bob->enter(room));
  bob.pump();
  EXPECT_EQ(bob->epoch(room), 1u);
  expect_delivery(alice, bob, "needs epoch 2");
  EXPECT_EQ(bob->epoch(room), 2u);
}

TEST_F(SessionTest, AMessageOfARecentEpochArrivingAfterItsCommitIsStillRead) {
  // The service admits messages up to mls.epoch_window epochs behind (docs/protocol.md §8), so
  // one sent just before a commit can arrive after it.
  ASSERT_TRUE(bob->send(room, "sent at epoch 1"));
  ASSERT_EQ(bob->update(room), 2u);
  alice.transport->delay_oldest();  // alice gets the commit first, then the message
  auto events = alice.pump();
  ASSERT_EQ(alice->epoch(room), 2u);
  auto msgs = of_type(events, "message");
  ASSERT_EQ(msgs.size(), 1u) << (of_type(events, "error").empty()
                                     ? std::string()
                                     : of_type(events, "error")[0].detail);
  EXPECT_EQ(msgs[0].text, "sent at epoch 1");
  EXPECT_EQ(msgs[0].from, bob.jid);
  // Beyond the kept epochs the keys are gone (forward secrecy): reported, not read.
  ASSERT_TRUE(bob->send(room, "sent at epoch 2"));
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(bob->update(room));
  alice.transport->delay_oldest();  // the message goes behind all four commits
  events = alice.pump();
  EXPECT_TRUE(of_type(events, "message").empty());
  ASSERT_EQ(of_type(events, "error").size(), 1u);
  EXPECT_NE(of_type(events, "error")[0].detail.find("is past"), std::string::npos);
}

TEST_F(SessionTest, AMessageOfAnEpochNotReachedYetWaitsForItsCommit) {
  // A message of the next epoch arrives before the commit that leads there, and the commit
  // cannot be fetched yet (as when it is our own, its answer still on the way): the message
  // waits, and is read once the commit arrives.
  ASSERT_EQ(bob->update(room), 2u);
  ASSERT_TRUE(bob->send(room, "sent at epoch 2"));
  xmpp::Element commit = alice.transport->take_oldest();  // held back
  server.withhold_commits = true;
  auto events = alice.pump();
  EXPECT_TRUE(of_type(events, "error").empty())
      << (of_type(events, "error").empty() ? "" : of_type(events, "error")[0].detail);
  EXPECT_TRUE(of_type(events, "message").empty());
  EXPECT_EQ(alice->epoch(room), 1u);
  alice.transport->deliver(std::move(commit));
  events = alice.pump();
  EXPECT_EQ(alice->epoch(room), 2u);
  ASSERT_EQ(of_type(events, "message").size(), 1u);
  EXPECT_EQ(of_type(events, "message")[0].text, "sent at epoch 2");
  EXPECT_EQ(events.front().type, "commit");  // the commit first, then the waiting message
}

TEST_F(SessionTest, RemovedMemberLosesTheGroup) {
  ASSERT_EQ(alice->remove(room, "bob@localhost"), 2u);
  auto events = bob.pump();
  ASSERT_EQ(of_type(events, "removed").size(), 1u);
  EXPECT_FALSE(bob->has_group(room));
  EXPECT_EQ(bob->send(room, "x").error(), make_error_code(Errc::no_group));
  auto f = alice->fingerprints(room);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->members.size(), 1u);
  EXPECT_EQ(alice->remove(room, "bob@localhost").error(), make_error_code(Errc::unknown_member));
}

TEST_F(SessionTest, ExternalJoin) {
  Account carol(server, "carol@localhost");
  auto e = carol->join_external(room);
  ASSERT_TRUE(e) << e.error().message();
  EXPECT_EQ(*e, 2u);
  alice.pump();
  bob.pump();
  EXPECT_EQ(alice->epoch(room), 2u);
  EXPECT_EQ(bob->epoch(room), 2u);
  expect_delivery(carol, alice, "joined from outside");
  EXPECT_EQ(carol->join_external(room).error(), make_error_code(Errc::group_exists));
}

TEST_F(SessionTest, ResyncAfterLosingState) {
  bob.go_offline();
  std::filesystem::remove_all(bob.dir.path());  // lost device state: new signature key too
  bob.connect();
  // Fresh state: <rooms/> shows the room holds a leaf of this device, which start() replaced
  // by an external commit (docs/protocol.md §6.8 "Dead leaves").
  auto resynced = of_type(bob->take_events(), "resynced");
  ASSERT_EQ(resynced.size(), 1u);
  EXPECT_EQ(resynced[0].epoch, 2u);
  alice.pump();
  auto e = bob->resync(room);  // asked again: the same leaf is replaced once more
  ASSERT_TRUE(e) << e.error().message();
  EXPECT_EQ(*e, 3u);
  alice.pump();
  auto f = alice->fingerprints(room);
  ASSERT_TRUE(f);
  ASSERT_EQ(f->members.size(), 2u);  // the old leaf was removed, not kept beside the new one
  for (const MemberFingerprint& m : f->members) {
    if (!m.self) {
      EXPECT_EQ(m.fingerprint, bob->own_fingerprint());
    }
  }
  expect_delivery(alice, bob, "welcome back");
}

// docs/protocol.md §6.7: every member follows the commit chain from its own view of the commits
// and ends where the service says the room is, whichever way it joined (create, Welcome,
// external commit) or caught up (live, commit log, archive); the value survives a restart.
TEST_F(SessionTest, EveryMemberFollowsTheSameCommitChain) {
  Account carol(server, "carol@localhost");
  ASSERT_TRUE(carol->join_external(room));
  ASSERT_TRUE(alice->update(room));
  bob.go_offline();
  ASSERT_TRUE(alice->update(room));  // bob catches this one up after his restart
  bob.connect();
  ASSERT_TRUE(bob->enter(room));
  ASSERT_TRUE(bob->catch_up(room));
  std::vector<Event> events;
  for (Account* a : {&alice, &bob, &carol}) {
    for (Event& e : a->pump()) events.push_back(std::move(e));
  }
  const std::string expected = mls::to_hex(server.rooms[room].chains.back());
  for (Account* a : {&alice, &bob, &carol}) {
    EXPECT_EQ((*a)->epoch(room), 4u);
    EXPECT_EQ((*a)->chain_hash(room), expected);
    for (Event& e : (*a)->take_events()) events.push_back(std::move(e));
  }
  EXPECT_TRUE(of_type(events, "chain-mismatch").empty());
}

// A service that shows another history than the one its chain says is caught by every member
// at the next commit, and the event names both values.
TEST_F(SessionTest, AForgedChainHashIsReported) {
  server.forge_chain = true;
  ASSERT_TRUE(alice->update(room));
  auto at_alice = of_type(alice->take_events(), "chain-mismatch");
  ASSERT_EQ(at_alice.size(), 1u);
  EXPECT_EQ(at_alice[0].epoch, 2u);
  EXPECT_NE(at_alice[0].detail.find(mls::to_hex(server.rooms[room].chains.back())),
            std::string::npos);
  auto at_bob = of_type(bob.pump(), "chain-mismatch");
  ASSERT_EQ(at_bob.size(), 1u);
  // Our own value stays: both members still agree with each other, and with the true log.
  EXPECT_EQ(alice->chain_hash(room), mls::to_hex(server.rooms[room].chains.back()));
  EXPECT_EQ(bob->chain_hash(room), alice->chain_hash(room));
}

// XEP-0410 §3 after a failover or restart of the service: the new active instance knows no
// occupants, so a member's next message is refused not-acceptable. The client enters again, reads
// what was said while it was out from the archive (in order, before speaking), then re-sends;
// nothing either side said is lost.
TEST_F(SessionTest, AMemberTheServiceForgotEntersAgainCatchesUpAndResends) {
  server.rooms[room].occupants.clear();  // the service failed over: nobody is an occupant
  auto used = bob->send(room, "said while alice was out");
  ASSERT_TRUE(used) << used.error().message();  // bob entered again and re-sent
  ASSERT_EQ(server.rooms[room].occupants.size(), 1u);
  EXPECT_TRUE(of_type(alice.pump(), "message").empty());  // alice is not in the room now
  used = alice->send(room, "back");
  ASSERT_TRUE(used) << used.error().message();
  auto at_alice = of_type(alice->take_events(), "message");
  ASSERT_EQ(at_alice.size(), 1u);  // read from the archive while entering again
  EXPECT_EQ(at_alice[0].text, "said while alice was out");
  auto at_bob = of_type(bob.pump(), "message");
  ASSERT_EQ(at_bob.size(), 1u);
  EXPECT_EQ(at_bob[0].text, "back");
  EXPECT_EQ(server.rooms[room].occupants.size(), 2u);
}

TEST_F(SessionTest, SenderLeafMustMatchOccupant) {
  Account carol(server, "carol@localhost");
  ASSERT_EQ(alice->invite(room, "carol@localhost"), 2u);
  carol.pump();
  bob.pump();
  // The room (or someone in the path) presents bob's ciphertext as alice's.
  server.spoof_nick = "alice";
  ASSERT_TRUE(bob->send(room, "I am alice"));
  auto events = carol.pump();
  EXPECT_TRUE(of_type(events, "message").empty());
  auto errors = of_type(events, "error");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].detail.find("sender mismatch"), std::string::npos);
}

TEST_F(SessionTest, ForgedMucItemInLiveMessageIsNotTrusted) {
  Account carol(server, "carol@localhost");
  ASSERT_EQ(alice->invite(room, "carol@localhost"), 2u);
  carol.pump();
  bob.pump();
  // Shown as alice's, with a muc#user item naming bob: only presence counts for live messages.
  server.spoof_nick = "alice";
  server.forge_item = "bob@localhost";
  ASSERT_TRUE(bob->send(room, "I am alice"));
  auto events = carol.pump();
  EXPECT_TRUE(of_type(events, "message").empty());
  EXPECT_EQ(of_type(events, "error").size(), 1u);
}

TEST_F(SessionTest, FingerprintsAgree) {
  auto fa = alice->fingerprints(room);
  auto fb = bob->fingerprints(room);
  ASSERT_TRUE(fa && fb);
  EXPECT_EQ(fa->epoch, 1u);
  EXPECT_EQ(fa->epoch_authenticator, fb->epoch_authenticator);
  EXPECT_EQ(fa->own, alice->own_fingerprint());
  EXPECT_EQ(fa->own.size(), 16u * 4 + 15);  // 32 bytes as 16 groups of 4 hex digits
  ASSERT_EQ(fa->members.size(), 2u);
  for (const MemberFingerprint& m : fa->members) {
    EXPECT_EQ(m.fingerprint,
              m.identity == "alice@localhost" ? alice->own_fingerprint() : bob->own_fingerprint());
    EXPECT_EQ(m.self, m.identity == "alice@localhost");
  }
  ASSERT_TRUE(alice->update(room));
  bob.pump();
  auto fa2 = alice->fingerprints(room);
  auto fb2 = bob->fingerprints(room);
  EXPECT_EQ(fa2->epoch_authenticator, fb2->epoch_authenticator);
  EXPECT_NE(fa2->epoch_authenticator, fa->epoch_authenticator);
}

TEST_F(SessionTest, ServiceRefusalCarriesCondition) {
  // The group exists on the service but not locally for carol: <conflict/>.
  Account carol(server, "carol@localhost");
  auto e = carol->create(room);
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error(), make_error_code(Errc::stanza_error));
  ASSERT_TRUE(carol->last_error());
  EXPECT_EQ(carol->last_error()->condition, "conflict");
  // Claiming for someone without key packages: <item-not-found/>.
  auto i = alice->invite(room, "nobody@localhost");
  ASSERT_FALSE(i);
  EXPECT_EQ(alice->last_error()->condition, "item-not-found");
  EXPECT_EQ(alice->epoch(room), 1u);  // nothing changed
}

TEST_F(SessionTest, ScriptRequestsDriveTheClient) {
  auto send =
      parse_request(R"({"op":"send","room":"room1@mls.localhost","text":"via json","id":1})");
  ASSERT_TRUE(send);
  auto a = run_request(*alice.client, *send);
  EXPECT_EQ(a["ok"], true);
  EXPECT_EQ(a["epoch"], 1);
  EXPECT_EQ(a["id"], 1);
  auto msgs = of_type(bob.pump(), "message");
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(event_json(msgs[0])["text"], "via json");
  auto bad = run_request(*alice.client,
                         *parse_request(R"({"op":"send","room":"no@mls.localhost","text":"x"})"));
  EXPECT_EQ(bad["ok"], false);
  EXPECT_EQ(bad["error"], "no_group");
  auto fp = run_request(*bob.client,
                        *parse_request(R"({"op":"fingerprints","room":"room1@mls.localhost"})"));
  EXPECT_EQ(fp["members"].size(), 2u);
  EXPECT_EQ(fp["own"], bob->own_fingerprint());
}

// run_script over a pipe: one answer line per request (garbage included), events before the
// answer they belong to, stop at "quit" even with more input behind it.
TEST(Session, ScriptModeAnswersEveryLine) {
  FakeServer server;
  Account alice(server, "alice@localhost");
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const std::string input =
      "{\"op\":\"create\",\"room\":\"room1@mls.localhost\",\"id\":\"a\"}\n"
      "\n"
      "not json\n"
      "{\"op\":\"send\",\"room\":\"room1@mls.localhost\",\"text\":\"hi\"}\n"
      "{\"op\":\"invite\",\"room\":\"room1@mls.localhost\",\"jid\":\"x@localhost\"}\n"
      "{\"op\":\"quit\"}\n"
      "{\"op\":\"whoami\"}\n";
  ASSERT_EQ(::write(fds[1], input.data(), input.size()), static_cast<ssize_t>(input.size()));
  ::close(fds[1]);
  std::FILE* out = std::tmpfile();
  ASSERT_NE(out, nullptr);
  EXPECT_EQ(run_script(*alice.client, fds[0], out), 0);
  ::close(fds[0]);
  std::rewind(out);
  std::vector<nlohmann::json> lines;
  char buf[4096];
  while (std::fgets(buf, sizeof buf, out) != nullptr) lines.push_back(nlohmann::json::parse(buf));
  std::fclose(out);
  ASSERT_EQ(lines.size(), 6u);
  EXPECT_EQ(lines[0]["event"], "created");
  EXPECT_EQ(lines[0]["epoch"], 0);
  EXPECT_EQ(lines[1]["ok"], true);
  EXPECT_EQ(lines[1]["id"], "a");
  EXPECT_EQ(lines[2]["error"], "invalid_request");
  EXPECT_EQ(lines[3]["op"], "send");
  EXPECT_EQ(lines[3]["ok"], true);
  EXPECT_EQ(lines[4]["op"], "invite");
  EXPECT_EQ(lines[4]["condition"], "item-not-found");
  EXPECT_EQ(lines[5]["op"], "quit");
}

TEST(Session, WelcomeWaitsInOfflineStorage) {
  FakeServer server;
  Account alice(server, "alice@localhost");
  Account bob(server, "bob@localhost");
  bob.go_offline();
  ASSERT_EQ(alice->create(room), 0u);
  ASSERT_EQ(alice->invite(room, "bob@localhost"), 1u);
  bob.connect();  // start() sends presence: the stored Welcome arrives
  auto joined = of_type(bob.pump(), "joined");
  ASSERT_EQ(joined.size(), 1u);
  EXPECT_EQ(joined[0].epoch, 1u);
}

// docs/protocol.md §6.4: a claim returns one package per device; one commit adds them all, and
// every device reads every other.
TEST(Session, InviteAddsEveryDeviceOfTheUser) {
  FakeServer server;
  Account alice(server, "alice@localhost");
  Account phone(server, "bob@localhost", "phone");
  Account pc(server, "bob@localhost", "pc");
  ASSERT_EQ(alice->create(room), 0u);
  ASSERT_EQ(alice->invite(room, "bob@localhost"), 1u);
  EXPECT_EQ(of_type(phone.pump(), "joined").size(), 1u);
  EXPECT_EQ(of_type(pc.pump(), "joined").size(), 1u);
  auto f = alice->fingerprints(room);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->members.size(), 3u);
  ASSERT_TRUE(phone->send(room, "from the phone"));
  expect_reads(pc, "from the phone");
  EXPECT_EQ(of_type(alice.pump(), "message").size(), 1u);
  // Inviting again adds no device twice (BR-13): nothing to add.
  EXPECT_EQ(alice->invite(room, "bob@localhost").error(), make_error_code(Errc::group_exists));
}

// docs/protocol.md §6.13: a new device joins its account's rooms by itself on its first start.
TEST_F(SessionTest, ANewDeviceJoinsTheAccountsRoomsOnFirstStart) {
  Account tablet(server, "bob@localhost", "tablet");
  auto joined = of_type(tablet->take_events(), "joined");
  ASSERT_EQ(joined.size(), 1u);
  EXPECT_EQ(joined[0].room, room);
  EXPECT_EQ(tablet->epoch(room), 2u);
  alice.pump();
  bob.pump();
  EXPECT_EQ(alice->epoch(room), 2u);
  auto f = alice->fingerprints(room);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->members.size(), 3u);  // bob's first device kept its leaf
  expect_delivery(alice, bob, "both devices");
  EXPECT_EQ(of_type(tablet.pump(), "message").size(), 1u);
}

// Issue 15 part 3: bob's state is lost while the service holds his old one-time packages; the
// invite claims one; bob, starting fresh, deletes his device's old packages and resyncs the
// dead leaf: he reads the room.
TEST(Session, AnInviteOfALostInstallsPackageEndsWithTheMemberReading) {
  FakeServer server;
  Account alice(server, "alice@localhost");
  Account bob(server, "bob@localhost");
  bob.go_offline();
  std::filesystem::remove_all(bob.dir.path());
  ASSERT_EQ(alice->create(room), 0u);
  ASSERT_EQ(alice->invite(room, "bob@localhost"), 1u);  // a package of the lost install
  const int deletions = server.deletions;
  bob.connect();
  EXPECT_GT(server.deletions, deletions);  // the old install's packages were deleted first
  auto events = bob->take_events();
  ASSERT_EQ(of_type(events, "resynced").size(), 1u);
  EXPECT_EQ(bob->epoch(room), 2u);
  alice.pump();
  auto f = alice->fingerprints(room);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->members.size(), 2u);  // the dead leaf is gone
  ASSERT_TRUE(alice->send(room, "can you read this"));
  expect_reads(bob, "can you read this");
}

// A member that gets a Welcome it cannot open, for a leaf of its own device, resyncs by itself.
TEST(Session, AWelcomeForALostPackageLeadsToAResync) {
  FakeServer server;
  Account alice(server, "alice@localhost");
  Account bob(server, "bob@localhost");
  // The secrets of bob's packages are lost, but not his identity (not a fresh state).
  bob.go_offline();
  std::filesystem::remove_all(bob.dir.path() / "key-packages");
  bob.connect();
  ASSERT_EQ(alice->create(room), 0u);
  ASSERT_EQ(alice->invite(room, "bob@localhost"), 1u);
  auto events = bob.pump();
  EXPECT_EQ(of_type(events, "error").size(), 1u);  // Welcome for none of our key packages
  ASSERT_EQ(of_type(events, "resynced").size(), 1u);
  EXPECT_EQ(bob->epoch(room), 2u);
  alice.pump();
  ASSERT_TRUE(bob->send(room, "back"));
  EXPECT_EQ(of_type(alice.pump(), "message").size(), 1u);
}

// A Welcome that added only our other device is not a dead leaf of ours: nothing happens.
TEST(Session, AnotherDevicesWelcomeIsLeftAlone) {
  FakeServer server;
  Account alice(server, "alice@localhost");
  Account phone(server, "bob@localhost", "phone");
  Account pc(server, "bob@localhost", "pc");
  pc->take_events();
  // The pc's packages are gone from the service: the claim finds the phone's only.
  ASSERT_TRUE(pc->delete_key_packages({}, std::string("pc")));
  ASSERT_EQ(alice->create(room), 0u);
  ASSERT_EQ(alice->invite(room, "bob@localhost"), 1u);
  EXPECT_EQ(of_type(phone.pump(), "joined").size(), 1u);
  auto events = pc.pump();
  EXPECT_TRUE(of_type(events, "resynced").empty());
  EXPECT_FALSE(pc->has_group(room));
  EXPECT_EQ(alice->epoch(room), 1u);
}

// short_lived: packages that last 3 hours, all within the 24-hour refresh margin.
ClientOptions short_lived() {
  ClientOptions o;
  o.key_package_lifetime = std::chrono::hours(3);
  o.key_package_refresh = std::chrono::hours(24);
  return o;
}

// expect_none_shared: no package of `now` is one of `before` (by ref).
template <class Packages>
void expect_none_shared(const Packages& now, const Packages& before) {
  for (const auto& kp : now) {
    for (const auto& old : before) EXPECT_NE(kp.ref, old.ref);
  }
}

// docs/protocol.md §6.3: packages near the end of their lifetime are replaced at start.
TEST(Session, PackagesNearTheirEndAreReplacedAtStart) {
  FakeServer server;
  Account bob(server, "bob@localhost", "phone", short_lived());
  const auto first = server.key_packages["bob@localhost"];
  ASSERT_EQ(first.size(), ClientOptions{}.key_package_target + 1);
  const int deletions = server.deletions;
  bob.go_offline();
  bob.connect();  // not fresh: every package ends within the refresh margin
  EXPECT_EQ(server.deletions, deletions + 1);
  const auto second = server.key_packages["bob@localhost"];
  EXPECT_EQ(second.size(), first.size());
  expect_none_shared(second, first);
}

// The same for a client that stays online: maintain_key_packages, at most once per
// key_package_check.
TEST(Session, PackagesNearTheirEndAreReplacedWhileOnline) {
  FakeServer server;
  Account bob(server, "bob@localhost", "phone", short_lived());
  const int deletions = server.deletions;
  // Just started: not due yet (the default check is hourly).
  EXPECT_EQ(bob->maintain_key_packages(), false);
  EXPECT_EQ(server.deletions, deletions);
  ClientOptions every_time = short_lived();
  every_time.key_package_check = std::chrono::seconds(0);
  Account carol(server, "carol@localhost", "pc", every_time);
  const auto carols = server.key_packages["carol@localhost"];
  const int before = server.deletions;
  EXPECT_EQ(carol->maintain_key_packages(), true);
  EXPECT_EQ(server.deletions, before + 1);
  const auto now = server.key_packages["carol@localhost"];
  EXPECT_EQ(now.size(), carols.size());
  expect_none_shared(now, carols);
}

TEST(Session, LeaveForgetsTheRoom) {
  FakeServer server;
  Account alice(server, "alice@localhost");
  ASSERT_EQ(alice->create(room), 0u);
  ASSERT_TRUE(alice->leave(room));
  EXPECT_FALSE(alice->has_group(room));
  alice.go_offline();
  alice.connect();
  // Her leaf is still in the group (nobody removed it), yet the start does not take it for a
  // dead leaf to resync: she left.
  EXPECT_TRUE(of_type(alice->take_events(), "resynced").empty());
  EXPECT_TRUE(alice->rooms().empty());  // and on disk
  EXPECT_EQ(server.rooms.at(room).commits.size(), 0u);
}

// Left, removed, invited back: the Welcome makes the room ours again, and the next start no
// longer counts it as left.
TEST_F(SessionTest, AMemberWhoLeftAndIsInvitedBackIsInTheRoomAgain) {
  ASSERT_TRUE(bob->leave(room));
  ASSERT_EQ(alice->remove(room, "bob@localhost"), 2u);
  ASSERT_EQ(alice->invite(room, "bob@localhost"), 3u);
  EXPECT_EQ(of_type(bob.pump(), "joined").size(), 1u);
  auto left = AccountStore::open(bob.dir.path())->load_left_rooms();
  ASSERT_TRUE(left);
  EXPECT_TRUE(left->empty());
  bob.go_offline();
  alice.pump();
  ASSERT_TRUE(alice->send(room, "welcome back"));
  bob.connect();
  EXPECT_TRUE(of_type(bob->take_events(), "resynced").empty());
  EXPECT_EQ(bob->epoch(room), 3u);
  ASSERT_TRUE(bob->enter(room));
  ASSERT_TRUE(bob->catch_up(room));
  expect_reads(bob, "welcome back");
}

// invite_while_offline: the devices are offline while alice creates the room and invites bob
// (one commit adds them all).
void invite_while_offline(Account& alice, std::initializer_list<Account*> devices) {
  for (Account* d : devices) d->go_offline();
  ASSERT_EQ(alice->create(room), 0u);
  ASSERT_EQ(alice->invite(room, "bob@localhost"), 1u);
}

// Issue 15: both of bob's devices are offline when alice invites him. The one Welcome, sent to
// the bare JID, goes from offline storage to the device that comes back first; the other finds
// at its next start that the group holds a leaf of its own without its having the group, fetches
// the Welcome from the room (docs/protocol.md §6.10) and reads what alice said since the invite.
TEST(Session, ADeviceInvitedWhileOfflineFetchesItsWelcomeAtItsNextStart) {
  FakeServer server;
  Account alice(server, "alice@localhost");
  Account phone(server, "bob@localhost", "phone");
  Account pc(server, "bob@localhost", "pc");
  invite_while_offline(alice, {&phone, &pc});
  ASSERT_TRUE(alice->send(room, "hello bob"));

  phone.connect();  // takes the stored Welcome at start
  auto events = phone->take_events();
  EXPECT_EQ(of_type(events, "joined").size(), 1u);
  EXPECT_EQ(phone->epoch(room), 1u);
  EXPECT_EQ(server.welcome_fetches, 0u);

  pc.connect();  // nothing stored is left for it
  events = pc->take_events();
  EXPECT_EQ(of_type(events, "joined").size(), 1u);
  EXPECT_TRUE(of_type(events, "resynced").empty());
  EXPECT_EQ(server.welcome_fetches, 1u);
  EXPECT_EQ(pc->epoch(room), 1u);  // no commit: the leaf the invite gave it is its own
  EXPECT_EQ(server.rooms.at(room).commits.size(), 1u);
  for (Account* d : {&phone, &pc}) {
    ASSERT_TRUE((*d)->catch_up(room));
    expect_reads(*d, "hello bob");
  }
  ASSERT_TRUE(pc->enter(room));
  ASSERT_TRUE(pc->send(room, "from the pc"));
  EXPECT_EQ(of_type(alice.pump(), "message").size(), 1u);
  // A later start of either device changes nothing.
  pc.go_offline();
  pc.connect();
  phone.go_offline();
  phone.connect();
  EXPECT_EQ(server.rooms.at(room).commits.size(), 1u);
  EXPECT_EQ(server.welcome_fetches, 1u);
}

// The same when the room has no Welcome to give (or it is for none of the device's packages):
// the device replaces its leaf by a resync, and reads the room from then on.
TEST(Session, ADeviceInvitedWhileOfflineWithoutAWelcomeToFetchResyncs) {
  FakeServer server;
  server.no_welcome_fetch = true;
  Account alice(server, "alice@localhost");
  Account phone(server, "bob@localhost", "phone");
  Account pc(server, "bob@localhost", "pc");
  invite_while_offline(alice, {&phone, &pc});
  phone.connect();
  EXPECT_EQ(phone->epoch(room), 1u);
  pc.connect();
  auto events = pc->take_events();
  ASSERT_EQ(of_type(events, "resynced").size(), 1u);
  EXPECT_EQ(pc->epoch(room), 2u);
  alice.pump();
  phone.pump();
  EXPECT_EQ(phone->epoch(room), 2u);
  auto f = alice->fingerprints(room);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->members.size(), 3u);  // the pc's leaf replaced, not added to
  ASSERT_TRUE(alice->send(room, "both of you"));
  for (Account* d : {&phone, &pc}) {
    expect_reads(*d, "both of you");
  }
  const std::size_t commits = server.rooms.at(room).commits.size();
  pc.go_offline();
  pc.connect();
  EXPECT_EQ(server.rooms.at(room).commits.size(), commits);
}

}  // namespace
}  // namespace conclave::client

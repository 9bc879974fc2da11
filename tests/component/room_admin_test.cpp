// Affiliations, roles, kick, ban, owner configuration and destruction (XEP-0045 §8-§10).
#include <gtest/gtest.h>

#include "component/muc/room.h"
#include "fakes.h"

namespace conclave::component::testing {
namespace {

const std::string kAlice = "alice@example.org/phone";
const std::string kBob = "bob@example.org/laptop";
const std::string kCarol = "carol@example.org/pc";
const std::string kAdmin = "<query xmlns='http://jabber.org/protocol/muc#admin'>";

class AdminTest : public ServiceTest {
 protected:
  void SetUp() override {
    ServiceTest::SetUp();
    create("r");
    join(kBob, room("r") + "/Bob");
  }
};

TEST_F(AdminTest, KickRemovesWith307AndReason) {
  auto r = iq(kAlice, room("r"), "set",
              kAdmin + "<item nick='Bob' role='none'><reason>spam</reason></item></query>");
  EXPECT_EQ(r.attr_or("type"), "result");
  const Occupant* bob = service->room(room("r"))->occupant("Bob");
  EXPECT_EQ(bob, nullptr);
}

TEST_F(AdminTest, KickPresenceCarries110And307ForTheVictim) {
  send("<iq type='set' id='k' from='" + kAlice + "' to='" + room("r") + "'>" + kAdmin +
       "<item nick='Bob' role='none'/></query></iq>");
  auto to_bob = sent_to(take(), kBob);
  ASSERT_EQ(to_bob.size(), 1u);
  EXPECT_EQ(status_codes(to_bob[0]), (std::vector<int>{110, 307}));
}

// §8.2 / §9.1 / §9.4: the presence that removes an occupant names the actor by nickname; its
// real JID only to those who may see real JIDs (moderators here, the room being semi-anonymous).
const xmpp::Element* actor_of(const xmpp::Element& presence) {
  return presence.child("x", "http://jabber.org/protocol/muc#user")
      ->child("item", "http://jabber.org/protocol/muc#user")
      ->child("actor", "http://jabber.org/protocol/muc#user");
}

TEST_F(AdminTest, KickNamesTheActor) {
  join(kCarol, room("r") + "/Carol");
  iq(kAlice, room("r"), "set",
     kAdmin + "<item affiliation='admin' jid='carol@example.org'/></query>");
  send("<iq type='set' id='k' from='" + kAlice + "' to='" + room("r") + "'>" + kAdmin +
       "<item nick='Bob' role='none'><reason>spam</reason></item></query></iq>");
  auto s = take();
  auto to_bob = sent_to(s, kBob);
  ASSERT_EQ(to_bob.size(), 1u);
  const auto* a = actor_of(to_bob[0]);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->attr_or("nick"), "Alice");
  EXPECT_EQ(a->attr("jid"), nullptr);  // Bob, a participant, sees no real JIDs
  auto to_carol = sent_to(s, kCarol);  // an admin: a moderator
  ASSERT_EQ(to_carol.size(), 1u);
  ASSERT_NE(actor_of(to_carol[0]), nullptr);
  EXPECT_EQ(actor_of(to_carol[0])->attr_or("nick"), "Alice");
  EXPECT_EQ(actor_of(to_carol[0])->attr_or("jid"), "alice@example.org");
}

TEST_F(AdminTest, BanNamesTheActor) {
  send("<iq type='set' id='b' from='" + kAlice + "' to='" + room("r") + "'>" + kAdmin +
       "<item affiliation='outcast' jid='bob@example.org'/></query></iq>");
  auto to_bob = sent_to(take(), kBob);
  ASSERT_EQ(to_bob.size(), 1u);
  EXPECT_TRUE(has_code(to_bob[0], 301));
  ASSERT_NE(actor_of(to_bob[0]), nullptr);
  EXPECT_EQ(actor_of(to_bob[0])->attr_or("nick"), "Alice");
}

TEST_F(AdminTest, AnActorOutsideTheRoomIsNamedByJidWhereJidsAreVisible) {
  ASSERT_EQ(configure(kAlice, room("r"), {{"muc#roomconfig_whois", "anyone"}}), "result");
  send("<presence type='unavailable' from='" + kAlice + "' to='" + room("r") + "/Alice'/>");
  take();
  send("<iq type='set' id='b' from='" + kAlice + "' to='" + room("r") + "'>" + kAdmin +
       "<item affiliation='outcast' jid='bob@example.org'/></query></iq>");
  auto to_bob = sent_to(take(), kBob);
  ASSERT_EQ(to_bob.size(), 1u);
  ASSERT_NE(actor_of(to_bob[0]), nullptr);
  EXPECT_EQ(actor_of(to_bob[0])->attr("nick"), nullptr);
  EXPECT_EQ(actor_of(to_bob[0])->attr_or("jid"), "alice@example.org");
}

TEST_F(AdminTest, ParticipantCannotKick) {
  auto r = iq(kBob, room("r"), "set", kAdmin + "<item nick='Alice' role='none'/></query>");
  EXPECT_EQ(error_condition(r), "forbidden");
}

TEST_F(AdminTest, ModeratorCannotKickTheOwner) {
  iq(kAlice, room("r"), "set",
     kAdmin + "<item jid='bob@example.org' affiliation='admin'/></query>");
  auto r = iq(kBob, room("r"), "set", kAdmin + "<item nick='Alice' role='none'/></query>");
  EXPECT_EQ(error_condition(r), "not-allowed");
}

TEST_F(AdminTest, BanRemovesWith301PersistsAndRefusesRejoinWithForbidden) {
  send("<iq type='set' id='b' from='" + kAlice + "' to='" + room("r") + "'>" + kAdmin +
       "<item jid='bob@example.org' affiliation='outcast'/></query></iq>");
  auto to_bob = sent_to(take(), kBob);
  ASSERT_EQ(to_bob.size(), 1u);
  EXPECT_TRUE(has_code(to_bob[0], 301));
  const auto& affs = room_store.rows.at(room_jid(room("r"))).affiliations;
  EXPECT_TRUE(std::any_of(affs.begin(), affs.end(), [](const AffiliationRecord& a) {
    return a.jid == "bob@example.org" && a.affiliation == Affiliation::outcast;
  }));
  EXPECT_EQ(error_condition(join(kBob, room("r") + "/Bob")[0]), "forbidden");
}

TEST_F(AdminTest, AffiliationStoreFailureChangesNothing) {
  room_store.fail_next = true;
  auto r = iq(kAlice, room("r"), "set",
              kAdmin + "<item jid='bob@example.org' affiliation='outcast'/></query>");
  EXPECT_EQ(error_condition(r), "internal-server-error");
  EXPECT_NE(service->room(room("r"))->occupant("Bob"), nullptr);
  EXPECT_EQ(service->room(room("r"))->affiliation_of("bob@example.org"), Affiliation::none);
}

TEST_F(AdminTest, TheLastOwnerCannotLeaveOwnership) {
  auto r = iq(kAlice, room("r"), "set",
              kAdmin + "<item jid='alice@example.org' affiliation='member'/></query>");
  EXPECT_EQ(error_condition(r), "conflict");
}

TEST_F(AdminTest, AdminCannotChangeAnOwner) {
  iq(kAlice, room("r"), "set",
     kAdmin + "<item jid='bob@example.org' affiliation='admin'/></query>");
  auto r = iq(kBob, room("r"), "set",
              kAdmin + "<item jid='alice@example.org' affiliation='outcast'/></query>");
  EXPECT_EQ(error_condition(r), "not-allowed");
}

TEST_F(AdminTest, MemberListVisibleToAdminsNotToParticipantsInOpenRooms) {
  iq(kAlice, room("r"), "set",
     kAdmin + "<item jid='carol@example.org' affiliation='member'/></query>");
  auto r = iq(kAlice, room("r"), "get", kAdmin + "<item affiliation='member'/></query>");
  ASSERT_EQ(r.attr_or("type"), "result");
  auto items = r.child("query", "http://jabber.org/protocol/muc#admin")
                   ->children_named("item", "http://jabber.org/protocol/muc#admin");
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0]->attr_or("jid"), "carol@example.org");
  EXPECT_EQ(
      error_condition(iq(kBob, room("r"), "get", kAdmin + "<item affiliation='member'/></query>")),
      "forbidden");
}

TEST_F(AdminTest, OwnerListVisibleToAnyoneInNonAnonymousRooms) {
  ASSERT_EQ(configure(kAlice, room("r"), {{"muc#roomconfig_whois", "anyone"}}), "result");
  auto r = iq(kBob, room("r"), "get", kAdmin + "<item affiliation='owner'/></query>");
  EXPECT_EQ(r.attr_or("type"), "result");
}

TEST_F(AdminTest, GrantingMembershipUpdatesPresence) {
  send("<iq type='set' id='g' from='" + kAlice + "' to='" + room("r") + "'>" + kAdmin +
       "<item jid='bob@example.org' affiliation='member'/></query></iq>");
  auto to_alice = sent_to(take(), kAlice);
  bool saw = false;
  for (const auto& s : to_alice) {
    if (s.name() != "presence") continue;
    saw = s.child("x", "http://jabber.org/protocol/muc#user")
              ->child("item", "http://jabber.org/protocol/muc#user")
              ->attr_or("affiliation") == "member";
  }
  EXPECT_TRUE(saw);
}

TEST_F(AdminTest, ConfigFormIsOwnerOnlyAndHasTheFieldsClientsRead) {
  EXPECT_EQ(error_condition(iq(kBob, room("r"), "get",
                               "<query xmlns='http://jabber.org/protocol/muc#owner'/>")),
            "forbidden");
  auto r = iq(kAlice, room("r"), "get", "<query xmlns='http://jabber.org/protocol/muc#owner'/>");
  ASSERT_EQ(r.attr_or("type"), "result");
  auto form = xmpp::find_data_form(*r.child("query", "http://jabber.org/protocol/muc#owner"));
  ASSERT_TRUE(form && *form);
  for (const char* var :
       {"muc#roomconfig_persistentroom", "muc#roomconfig_membersonly", "muc#roomconfig_whois",
        "muc#roomconfig_allowinvites", "muc#roomconfig_allowpm", "muc#roomconfig_changesubject",
        "muc#roomconfig_roomsecret", "muc#roomconfig_moderatedroom", "muc#roomconfig_publicroom",
        "muc#maxhistoryfetch"}) {
    EXPECT_NE((*form)->field(var), nullptr) << var;
  }
}

TEST_F(AdminTest, BadConfigValueIsNotAcceptableAndChangesNothing) {
  EXPECT_EQ(configure(kAlice, room("r"), {{"muc#roomconfig_membersonly", "maybe"}}), "error");
  EXPECT_FALSE(service->room(room("r"))->config().members_only);
}

TEST_F(AdminTest, ConfigChangeIsAnnouncedWith104And172) {
  ASSERT_EQ(configure(kAlice, room("r"), {{"muc#roomconfig_whois", "anyone"}}), "result");
  // configure() consumed the stanzas; change again and look.
  send("<iq type='set' id='c2' from='" + kAlice + "' to='" + room("r") +
       "'><query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' "
       "type='submit'><field var='muc#roomconfig_whois'><value>moderators</value></field></x>"
       "</query></iq>");
  auto to_bob = sent_to(take(), kBob);
  ASSERT_EQ(to_bob.size(), 1u);
  EXPECT_EQ(status_codes(to_bob[0]), (std::vector<int>{104, 173}));
}

TEST_F(AdminTest, SwitchingToMembersOnlyRemovesNonMembersWith322) {
  send("<iq type='set' id='c3' from='" + kAlice + "' to='" + room("r") +
       "'><query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' "
       "type='submit'><field var='muc#roomconfig_membersonly'><value>1</value></field></x>"
       "</query></iq>");
  auto to_bob = sent_to(take(), kBob);
  ASSERT_FALSE(to_bob.empty());
  EXPECT_TRUE(has_code(to_bob.back(), 322));
  EXPECT_EQ(service->room(room("r"))->occupant("Bob"), nullptr);
}

TEST_F(AdminTest, DestroySendsDestroyPresenceAndForgetsTheRoom) {
  send("<iq type='set' id='d' from='" + kAlice + "' to='" + room("r") +
       "'><query xmlns='http://jabber.org/protocol/muc#owner'><destroy jid='other@" +
       std::string(kService) +
       "'><reason>moving</reason><password>pw</password></destroy></query></iq>");
  auto s = take();
  auto to_bob = sent_to(s, kBob);
  ASSERT_EQ(to_bob.size(), 1u);
  const auto* d = to_bob[0]
                      .child("x", "http://jabber.org/protocol/muc#user")
                      ->child("destroy", "http://jabber.org/protocol/muc#user");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->attr_or("jid"), "other@" + std::string(kService));
  // §10.9: the reason and the alternate venue's password are passed on; the item is the
  // example's affiliation='none' role='none', for the owner too.
  EXPECT_EQ(d->child_text("reason", "http://jabber.org/protocol/muc#user"), "moving");
  EXPECT_EQ(d->child_text("password", "http://jabber.org/protocol/muc#user"), "pw");
  auto to_alice = sent_to(s, kAlice);
  ASSERT_FALSE(to_alice.empty());
  const auto* item = to_alice[0]
                         .child("x", "http://jabber.org/protocol/muc#user")
                         ->child("item", "http://jabber.org/protocol/muc#user");
  ASSERT_NE(item, nullptr);
  EXPECT_EQ(item->attr_or("affiliation"), "none");
  EXPECT_EQ(item->attr_or("role"), "none");
  EXPECT_EQ(service->room(room("r")), nullptr);
  EXPECT_EQ(room_store.rows.count(room_jid(room("r"))), 0u);
  EXPECT_EQ(error_condition(iq(kBob, room("r"), "get",
                               "<query xmlns='http://jabber.org/protocol/disco#info'/>")),
            "item-not-found");
}

TEST_F(AdminTest, OnlyOwnersDestroy) {
  auto r = iq(kBob, room("r"), "set",
              "<query xmlns='http://jabber.org/protocol/muc#owner'><destroy/></query>");
  EXPECT_EQ(error_condition(r), "forbidden");
}

TEST_F(AdminTest, ServiceAdminsOwnEveryRoom) {
  service = make_service({"root@example.org"});
  join(kAlice, room("s") + "/Alice");
  configure(kAlice, room("s"));
  auto r = iq("root@example.org/x", room("s"), "get",
              "<query xmlns='http://jabber.org/protocol/muc#owner'/>");
  EXPECT_EQ(r.attr_or("type"), "result");
}

}  // namespace
}  // namespace conclave::component::testing

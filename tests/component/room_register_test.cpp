// Room registration and reserved nicknames (XEP-0045 §7.10, §7.11), and the room-creation
// policy (muc.create_rooms).
#include <gtest/gtest.h>

#include "component/app/config.h"
#include "component/muc/room.h"
#include "fakes.h"

namespace conclave::component::testing {
namespace {

const std::string kAlice = "alice@example.org/phone";
const std::string kBob = "bob@example.org/laptop";
const std::string kCarol = "carol@example.org/pc";
const std::string kRegisterGet = "<query xmlns='jabber:iq:register'/>";
const std::string kReservedNick =
    "<query xmlns='http://jabber.org/protocol/disco#info' node='x-roomuser-item'/>";

std::string register_form(const std::string& nick) {
  return "<query xmlns='jabber:iq:register'><x xmlns='jabber:x:data' type='submit'>"
         "<field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#register</value></field>"
         "<field var='muc#register_roomnick'><value>" +
         nick + "</value></field></x></query>";
}

class RegisterTest : public ServiceTest {
 protected:
  void SetUp() override {
    ServiceTest::SetUp();
    create("r");
  }
  const AffiliationRecord* stored(const std::string& bare) {
    for (const auto& a : room_store.rows.at(room_jid(room("r"))).affiliations) {
      if (a.jid == bare) return &a;
    }
    return nullptr;
  }
};

TEST_F(RegisterTest, UnregisteredUserGetsTheMucRegisterForm) {
  auto r = iq(kBob, room("r"), "get", kRegisterGet);
  ASSERT_EQ(r.attr_or("type"), "result");
  const xmpp::Element* q = r.child("query", "jabber:iq:register");
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(q->child("registered", "jabber:iq:register"), nullptr);
  auto form = xmpp::find_data_form(*q);
  ASSERT_TRUE(form && *form);
  EXPECT_EQ((*form)->form_type(), "http://jabber.org/protocol/muc#register");
  ASSERT_NE((*form)->field("muc#register_roomnick"), nullptr);
  EXPECT_TRUE((*form)->field("muc#register_roomnick")->required);
}

TEST_F(RegisterTest, SubmissionMakesAMemberWithTheNickPersisted) {
  auto r = iq(kBob, room("r"), "set", register_form("Bobby"));
  EXPECT_EQ(r.attr_or("type"), "result");
  EXPECT_EQ(service->room(room("r"))->affiliation_of("bob@example.org"), Affiliation::member);
  const AffiliationRecord* a = stored("bob@example.org");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->affiliation, Affiliation::member);
  EXPECT_EQ(a->nick, "Bobby");
}

TEST_F(RegisterTest, RegisteredUserIsToldSoWithTheNick) {
  iq(kBob, room("r"), "set", register_form("Bobby"));
  auto r = iq(kBob, room("r"), "get", kRegisterGet);
  const xmpp::Element* q = r.child("query", "jabber:iq:register");
  ASSERT_NE(q, nullptr);
  EXPECT_NE(q->child("registered", "jabber:iq:register"), nullptr);
  EXPECT_EQ(q->child_text("username", "jabber:iq:register"), "Bobby");
}

TEST_F(RegisterTest, ReservedNickIsAConflictForAnotherUser) {
  iq(kBob, room("r"), "set", register_form("Bobby"));
  auto s = join(kCarol, room("r") + "/Bobby");
  ASSERT_FALSE(s.empty());
  EXPECT_EQ(error_condition(s.back()), "conflict");
  // The owner of the reservation gets in with it.
  auto b = join(kBob, room("r") + "/Bobby");
  EXPECT_TRUE(std::any_of(b.begin(), b.end(), [](const xmpp::Element& e) {
    return e.name() == "presence" && has_code(e, 110);
  }));
}

TEST_F(RegisterTest, NickChangeOntoAReservedNickIsAConflict) {
  iq(kBob, room("r"), "set", register_form("Bobby"));
  join(kCarol, room("r") + "/Carol");
  send("<presence from='" + kCarol + "' to='" + room("r") + "/Bobby'/>");
  auto s = sent_to(take(), kCarol);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(error_condition(s[0]), "conflict");
}

TEST_F(RegisterTest, RegisteringSomeoneElsesNickIsAConflict) {
  iq(kBob, room("r"), "set", register_form("Bobby"));
  auto r = iq(kCarol, room("r"), "set", register_form("Bobby"));
  EXPECT_EQ(error_condition(r), "conflict");
  EXPECT_EQ(stored("carol@example.org"), nullptr);
}

TEST_F(RegisterTest, RegisteringANickAnotherOccupantUsesIsAConflict) {
  join(kCarol, room("r") + "/Carol");
  auto r = iq(kBob, room("r"), "set", register_form("Carol"));
  EXPECT_EQ(error_condition(r), "conflict");
}

TEST_F(RegisterTest, RegistrationWithoutTheFormIsBadRequest) {
  auto r = iq(kBob, room("r"), "set", "<query xmlns='jabber:iq:register'/>");
  EXPECT_EQ(error_condition(r), "bad-request");
  auto e = iq(kBob, room("r"), "set", register_form(""));
  EXPECT_EQ(error_condition(e), "not-acceptable");
}

// XEP-0045 §17.1: an invisible nickname cannot be reserved either.
TEST_F(RegisterTest, AnInvisibleNicknameIsNotAcceptable) {
  auto r = iq(kBob, room("r"), "set", register_form("   "));
  EXPECT_EQ(error_condition(r), "not-acceptable");
  EXPECT_EQ(stored("bob@example.org"), nullptr);
}

TEST_F(RegisterTest, OutcastsAndNonMembersOfMembersOnlyRoomsMayNotRegister) {
  iq(kAlice, room("r"), "set",
     "<query xmlns='http://jabber.org/protocol/muc#admin'><item jid='carol@example.org' "
     "affiliation='outcast'/></query>");
  EXPECT_EQ(error_condition(iq(kCarol, room("r"), "set", register_form("C"))), "not-allowed");
  ASSERT_EQ(configure(kAlice, room("r"), {{"muc#roomconfig_membersonly", "1"}}), "result");
  EXPECT_EQ(error_condition(iq(kBob, room("r"), "get", kRegisterGet)), "not-allowed");
}

TEST_F(RegisterTest, StoreFailureChangesNothing) {
  room_store.fail_next = true;
  auto r = iq(kBob, room("r"), "set", register_form("Bobby"));
  EXPECT_EQ(error_condition(r), "internal-server-error");
  EXPECT_EQ(service->room(room("r"))->affiliation_of("bob@example.org"), Affiliation::none);
  auto s = join(kCarol, room("r") + "/Bobby");
  EXPECT_NE(error_condition(s.back()), "conflict");
}

TEST_F(RegisterTest, OccupantsSeeTheNewMembership) {
  join(kBob, room("r") + "/Bob");
  send("<iq type='set' id='reg' from='" + kBob + "' to='" + room("r") + "'>" +
       register_form("Bob") + "</iq>");
  auto to_alice = sent_to(take(), kAlice);
  ASSERT_EQ(to_alice.size(), 1u);
  const xmpp::Element* item = to_alice[0]
                                  .child("x", "http://jabber.org/protocol/muc#user")
                                  ->child("item", "http://jabber.org/protocol/muc#user");
  EXPECT_EQ(item->attr_or("affiliation"), "member");
}

TEST_F(RegisterTest, AnOwnerKeepsOwnershipWhenRegistering) {
  iq(kAlice, room("r"), "set", register_form("TheBoss"));
  EXPECT_EQ(service->room(room("r"))->affiliation_of("alice@example.org"), Affiliation::owner);
  EXPECT_EQ(stored("alice@example.org")->nick, "TheBoss");
}

TEST_F(RegisterTest, CancellingARegistrationFreesTheNick) {
  iq(kBob, room("r"), "set", register_form("Bobby"));
  auto r = iq(kBob, room("r"), "set", "<query xmlns='jabber:iq:register'><remove/></query>");
  EXPECT_EQ(r.attr_or("type"), "result");
  EXPECT_EQ(stored("bob@example.org"), nullptr);
  auto s = join(kCarol, room("r") + "/Bobby");
  EXPECT_NE(error_condition(s.back()), "conflict");
}

TEST_F(RegisterTest, ReservedNickDiscoNamesTheNick) {
  iq(kBob, room("r"), "set", register_form("Bobby"));
  auto r = iq(kBob, room("r"), "get", kReservedNick);
  ASSERT_EQ(r.attr_or("type"), "result");
  const xmpp::Element* q = r.child("query", "http://jabber.org/protocol/disco#info");
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(q->attr_or("node"), "x-roomuser-item");
  const xmpp::Element* id = q->child("identity", "http://jabber.org/protocol/disco#info");
  ASSERT_NE(id, nullptr);
  EXPECT_EQ(id->attr_or("name"), "Bobby");
  EXPECT_EQ(id->attr_or("category"), "conference");
  EXPECT_EQ(id->attr_or("type"), "text");
}

TEST_F(RegisterTest, ReservedNickDiscoIsEmptyWithoutRegistration) {
  auto r = iq(kCarol, room("r"), "get", kReservedNick);
  ASSERT_EQ(r.attr_or("type"), "result");
  const xmpp::Element* q = r.child("query", "http://jabber.org/protocol/disco#info");
  ASSERT_NE(q, nullptr);
  EXPECT_TRUE(q->children().empty());
}

TEST_F(RegisterTest, RoomAdvertisesRegistrationAndModeration) {
  auto r = iq(kBob, room("r"), "get", "<query xmlns='http://jabber.org/protocol/disco#info'/>");
  std::set<std::string> feats;
  for (const auto* f : r.child("query", "http://jabber.org/protocol/disco#info")
                           ->children_named("feature", "http://jabber.org/protocol/disco#info")) {
    feats.insert(std::string(f->attr_or("var")));
  }
  EXPECT_TRUE(feats.count("jabber:iq:register"));
  EXPECT_TRUE(feats.count("urn:xmpp:message-moderate:1"));
  EXPECT_TRUE(feats.count("urn:xmpp:message-moderate:0"));
}

TEST_F(RegisterTest, RegisteredNickSurvivesAReload) {
  iq(kBob, room("r"), "set", register_form("Bobby"));
  ASSERT_EQ(configure(kAlice, room("r"), {{"muc#roomconfig_persistentroom", "1"}}), "result");
  service = make_service();
  ASSERT_TRUE(service->load());
  auto s = join(kCarol, room("r") + "/Bobby");
  EXPECT_EQ(error_condition(s.back()), "conflict");
}

// Room-creation policy (muc.create_rooms).

class CreatePolicyTest : public ServiceTest {};

TEST_F(CreatePolicyTest, RefusedCreatorGetsNotAllowedAndNoRoomExists) {
  service->env().may_create = [](const xmpp::Jid& u) { return u.domain() == "example.org"; };
  auto s = join("mallory@evil.example/x", room("new") + "/M");
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].attr_or("type"), "error");
  EXPECT_EQ(error_condition(s[0]), "not-allowed");
  EXPECT_EQ(service->room(room("new")), nullptr);
  EXPECT_EQ(room_store.rows.count(room_jid(room("new"))), 0u);
  // An allowed user creates it afterwards.
  auto a = join(kAlice, room("new") + "/Alice");
  EXPECT_TRUE(std::any_of(a.begin(), a.end(), [](const xmpp::Element& e) {
    return e.name() == "presence" && has_code(e, 201);
  }));
}

TEST_F(CreatePolicyTest, PolicyDoesNotStopJoiningAnExistingRoom) {
  create("r");
  service->env().may_create = [](const xmpp::Jid&) { return false; };
  auto s = join(kBob, room("r") + "/Bob");
  EXPECT_TRUE(std::any_of(s.begin(), s.end(), [](const xmpp::Element& e) {
    return e.name() == "presence" && has_code(e, 110);
  }));
}

TEST_F(CreatePolicyTest, ServiceAdminsMayAlwaysCreate) {
  service = make_service({"root@example.org"});
  service->env().may_create = [](const xmpp::Jid&) { return false; };
  auto s = join("root@example.org/x", room("ops") + "/Root");
  EXPECT_TRUE(std::any_of(s.begin(), s.end(), [](const xmpp::Element& e) {
    return e.name() == "presence" && has_code(e, 201);
  }));
}

TEST(CreatePolicyConfig, ParsesAndDecides) {
  const std::string base =
      "[component]\ndomain = mls.example.org\nsecret = s\n[database]\nurl = x\n";
  auto d = parse_config(base);
  ASSERT_TRUE(d) << d.error().what();
  EXPECT_EQ(d->create_rooms, CreatePolicy::anyone);
  EXPECT_TRUE(may_create_room(*d, "anywhere.example"));

  auto local = parse_config(base + "[muc]\ncreate_rooms = local\n");
  ASSERT_TRUE(local) << local.error().what();
  EXPECT_TRUE(may_create_room(*local, "example.org"));
  EXPECT_FALSE(may_create_room(*local, "other.example"));
  EXPECT_FALSE(may_create_room(*local, "mls.example.org"));

  auto listed =
      parse_config(base + "[muc]\ncreate_rooms = local\nlocal_domains = a.example, B.example\n");
  ASSERT_TRUE(listed) << listed.error().what();
  EXPECT_TRUE(may_create_room(*listed, "b.example"));
  EXPECT_FALSE(may_create_room(*listed, "example.org"));

  auto admins = parse_config(base + "[muc]\ncreate_rooms = admins\n");
  ASSERT_TRUE(admins) << admins.error().what();
  EXPECT_FALSE(may_create_room(*admins, "example.org"));

  auto everybody = parse_config(base + "[muc]\ncreate_rooms = everybody\n");
  ASSERT_FALSE(everybody);
  EXPECT_NE(everybody.error().what().find("create_rooms"), std::string::npos);
  EXPECT_FALSE(parse_config(base + "[muc]\nlocal_domains = a@b\n"));
}

}  // namespace
}  // namespace conclave::component::testing

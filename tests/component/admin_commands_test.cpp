// The admins' ad-hoc commands on the service JID (component/admin/admin_commands.h): who sees and
// may run them, what list-rooms and stats report, and destroy-room's durability and errors.
#include "component/admin/admin_commands.h"

#include <gtest/gtest.h>

#include "component/cluster/lease_keeper.h"
#include "component/federation/federation_service.h"
#include "component/muc/muc_service.h"
#include "fake_lease_store.h"
#include "fakes.h"

namespace conclave::component::testing {
namespace {

const std::string kAdmin = "root@example.org/console";
const std::string kAlice = "alice@example.org/phone";
const std::string kBob = "bob@example.org/laptop";
constexpr const char* kCmdNs = "http://jabber.org/protocol/commands";

class AdminCommandsTest : public ServiceTest {
 protected:
  void SetUp() override {
    service = make_service({"root@example.org"});
    register_admin_commands(service->commands(), *service, nullptr);  // as app/main.cpp does
  }

  // execute: a <command/> IQ from `who` (action and sessionid optional, form fields as
  // var -> value); returns the reply.
  xmpp::Element command(const std::string& who, std::string_view node,
                        const std::string& sessionid = {},
                        const std::map<std::string, std::string>& fields = {},
                        const std::string& action = {}) {
    std::string xml =
        "<command xmlns='" + std::string(kCmdNs) + "' node='" + std::string(node) + "'";
    if (!sessionid.empty()) xml += " sessionid='" + sessionid + "'";
    if (!action.empty()) xml += " action='" + action + "'";
    xml += ">";
    if (!fields.empty()) {
      xml += "<x xmlns='jabber:x:data' type='submit'>";
      for (const auto& [k, v] : fields) {
        xml += "<field var='" + k + "'><value>" + v + "</value></field>";
      }
      xml += "</x>";
    }
    xml += "</command>";
    return iq(who, kService, "set", xml);
  }

  static const xmpp::Element& cmd(const xmpp::Element& reply) {
    static const xmpp::Element none;
    const xmpp::Element* c = reply.child("command", kCmdNs);
    return c != nullptr ? *c : none;
  }

  static xmpp::DataForm result_of(const xmpp::Element& reply) {
    auto f = xmpp::find_data_form(cmd(reply));
    EXPECT_TRUE(f && *f);
    return f && *f ? **f : xmpp::DataForm{};
  }

  std::map<std::string, std::string> destroy_fields(const std::string& room_jid,
                                                    const std::string& reason = {}) {
    std::map<std::string, std::string> f{{"FORM_TYPE", std::string(kAdminFormType)},
                                         {"roomjid", room_jid}};
    if (!reason.empty()) f["reason"] = reason;
    return f;
  }
};

std::vector<std::string> item_nodes(const xmpp::Element& reply) {
  std::vector<std::string> out;
  const auto* q = reply.child("query", "http://jabber.org/protocol/disco#items");
  if (q == nullptr) return out;
  for (const auto* i : q->children_named("item", "http://jabber.org/protocol/disco#items")) {
    out.emplace_back(i->attr_or("node"));
  }
  return out;
}

TEST_F(AdminCommandsTest, OnlyAdminsSeeAndRunThem) {
  const std::string list =
      "<query xmlns='http://jabber.org/protocol/disco#items' node='" + std::string(kCmdNs) + "'/>";
  EXPECT_EQ(
      item_nodes(iq(kAdmin, kService, "get", list)),
      (std::vector<std::string>{std::string(kListRoomsNode), std::string(kStatsNode),
                                std::string(kFederatedRoomsNode), std::string(kDestroyRoomNode)}));
  auto other = iq(kAlice, kService, "get", list);
  EXPECT_EQ(other.attr_or("type"), "result");
  EXPECT_TRUE(item_nodes(other).empty());
  for (auto node : {kListRoomsNode, kStatsNode, kFederatedRoomsNode, kDestroyRoomNode}) {
    EXPECT_EQ(error_condition(command(kAlice, node)), "forbidden") << node;
  }
  // The service advertises XEP-0050 to everyone; a command's disco#info only to admins.
  auto info = iq(kAlice, kService, "get", "<query xmlns='http://jabber.org/protocol/disco#info'/>");
  bool commands = false;
  for (const auto* f : info.child("query", "http://jabber.org/protocol/disco#info")
                           ->children_named("feature", "http://jabber.org/protocol/disco#info")) {
    commands = commands || f->attr_or("var") == kCmdNs;
  }
  EXPECT_TRUE(commands);
  const std::string node_info = "<query xmlns='http://jabber.org/protocol/disco#info' node='" +
                                std::string(kStatsNode) + "'/>";
  EXPECT_EQ(iq(kAdmin, kService, "get", node_info).attr_or("type"), "result");
  EXPECT_EQ(error_condition(iq(kAlice, kService, "get", node_info)), "item-not-found");
}

TEST_F(AdminCommandsTest, ListRoomsShowsEveryRoomHiddenOnesToo) {
  create("open");
  create("hidden", {{"muc#roomconfig_publicroom", "0"}, {"muc#roomconfig_persistentroom", "1"}});
  join(kBob, room("open") + "/Bob");
  auto r = command(kAdmin, kListRoomsNode);
  EXPECT_EQ(cmd(r).attr_or("status"), "completed");
  auto form = result_of(r);
  EXPECT_EQ(form.type, xmpp::FormType::result);
  EXPECT_EQ(form.field("count")->value(), "2");
  EXPECT_EQ(form.field("rooms")->values, (std::vector<std::string>{room("hidden"), room("open")}));
  EXPECT_EQ(form.field("details")->values,
            (std::vector<std::string>{room("hidden") + " occupants=1 persistent hidden",
                                      room("open") + " occupants=2 temporary"}));
}

TEST_F(AdminCommandsTest, FederatedRoomsShowsMirrorsAndHomesOnly) {
  create("plain");
  create("home", {{"{urn:xmpp:mls:0}fmuc_mirrors", "room@mls.b.test"}});
  create("mirror", {{"{urn:xmpp:mls:0}fmuc_home", "room@mls.c.test"}});
  take();  // the mirror's join to its (unreachable) home
  auto form = result_of(command(kAdmin, kFederatedRoomsNode));
  EXPECT_EQ(form.field("count")->value(), "2");
  EXPECT_EQ(form.field("rooms")->values, (std::vector<std::string>{room("home"), room("mirror")}));
  EXPECT_EQ(
      form.field("details")->values,
      (std::vector<std::string>{room("home") + " home mirrors=room@mls.b.test linked=(none)",
                                room("mirror") + " mirror-of=room@mls.c.test linked=(none)"}));
}

TEST_F(AdminCommandsTest, StatsCountRoomsOccupantsAndUptime) {
  create("a", {{"muc#roomconfig_persistentroom", "1"}});
  create("b");
  join(kBob, room("b") + "/Bob");
  clock_ms += 90'000;
  auto form = result_of(command(kAdmin, kStatsNode));
  EXPECT_EQ(form.field("rooms")->value(), "2");
  EXPECT_EQ(form.field("persistent-rooms")->value(), "1");
  EXPECT_EQ(form.field("occupants")->value(), "3");
  EXPECT_EQ(form.field("mls-groups")->value(), "0");  // no delivery service in this fixture
  EXPECT_EQ(form.field("uptime")->value(), "90");
}

TEST_F(AdminCommandsTest, DestroyRoomTellsOccupantsAfterTheStoreDeletesIt) {
  create("doomed", {{"muc#roomconfig_persistentroom", "1"}});
  join(kBob, room("doomed") + "/Bob");
  auto first = command(kAdmin, kDestroyRoomNode);
  ASSERT_EQ(cmd(first).attr_or("status"), "executing");
  const std::string sid(cmd(first).attr_or("sessionid"));
  auto presented = result_of(first);
  EXPECT_TRUE(presented.field("roomjid")->required);

  runner.hold = true;  // the store has not answered yet: neither the admin nor the occupants hear
  send("<iq type='set' id='d' from='" + kAdmin + "' to='" + kService + "'><command xmlns='" +
       kCmdNs + "' node='" + std::string(kDestroyRoomNode) + "' sessionid='" + sid +
       "' action='complete'><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>" +
       std::string(kAdminFormType) + "</value></field><field var='roomjid'><value>" +
       room("doomed") + "</value></field><field var='reason'><value>spam</value></field>" +
       "</x></command></iq>");
  EXPECT_TRUE(take().empty());
  EXPECT_EQ(room_store.rows.count(room_jid(room("doomed"))), 1u);
  runner.release();
  auto sent = take();
  EXPECT_EQ(room_store.rows.count(room_jid(room("doomed"))), 0u);
  EXPECT_EQ(service->room(room("doomed")), nullptr);
  int told = 0;
  for (const auto& s : sent) {
    if (s.name() == "presence") {
      const auto* d = s.child("x", "http://jabber.org/protocol/muc#user")
                          ->child("destroy", "http://jabber.org/protocol/muc#user");
      ASSERT_NE(d, nullptr);
      EXPECT_EQ(d->child_text("reason", "http://jabber.org/protocol/muc#user"), "spam");
      EXPECT_EQ(s.attr_or("type"), "unavailable");
      ++told;
    }
  }
  EXPECT_EQ(told, 2);  // Alice and Bob
  auto answers = sent_to(sent, kAdmin);
  ASSERT_EQ(answers.size(), 1u);
  EXPECT_EQ(answers[0].attr_or("id"), "d");
  EXPECT_EQ(answers[0].attr_or("type"), "result");
  EXPECT_EQ(cmd(answers[0]).attr_or("status"), "completed");
  EXPECT_EQ(cmd(answers[0]).child_text("note", kCmdNs), room("doomed") + " destroyed");
}

TEST_F(AdminCommandsTest, DestroyRoomErrorsLeaveTheRoomAndTheSession) {
  create("kept");
  auto first = command(kAdmin, kDestroyRoomNode);
  const std::string sid(cmd(first).attr_or("sessionid"));
  // No FORM_TYPE, then a room that does not exist, then an occupant JID: each refused with the
  // session kept for another try.
  EXPECT_EQ(error_condition(
                command(kAdmin, kDestroyRoomNode, sid, {{"roomjid", room("kept")}}, "complete")),
            "bad-request");
  EXPECT_EQ(error_condition(
                command(kAdmin, kDestroyRoomNode, sid, destroy_fields(room("nope")), "complete")),
            "item-not-found");
  EXPECT_EQ(error_condition(command(kAdmin, kDestroyRoomNode, sid,
                                    destroy_fields(room("kept") + "/Alice"), "complete")),
            "jid-malformed");
  // The store fails: internal-server-error, the room and its occupant stay.
  room_store.fail_next = true;
  EXPECT_EQ(error_condition(
                command(kAdmin, kDestroyRoomNode, sid, destroy_fields(room("kept")), "complete")),
            "internal-server-error");
  ASSERT_NE(service->room(room("kept")), nullptr);
  EXPECT_EQ(service->room(room("kept"))->occupant_count(), 1u);
  EXPECT_EQ(room_store.rows.count(room_jid(room("kept"))), 1u);
  // A deferred outcome ended that session.
  auto again = command(kAdmin, kDestroyRoomNode, sid, destroy_fields(room("kept")), "complete");
  EXPECT_EQ(error_condition(again), "bad-request");
}

// A destroy waits its turn behind what the room is already doing (its store round trip), so
// the room never runs two store calls at once.
TEST_F(AdminCommandsTest, DestroyRoomQueuesBehindTheRoomsWork) {
  create("busy", {{"muc#roomconfig_persistentroom", "1"}});
  runner.hold = true;
  send("<message type='groupchat' id='m1' from='" + kAlice + "' to='" + room("busy") +
       "'><body>hi</body></message>");  // archived first: the room waits on the store
  auto first = command(kAdmin, kDestroyRoomNode);
  const std::string sid(cmd(first).attr_or("sessionid"));
  send("<iq type='set' id='d' from='" + kAdmin + "' to='" + kService + "'><command xmlns='" +
       kCmdNs + "' node='" + std::string(kDestroyRoomNode) + "' sessionid='" + sid +
       "' action='complete'><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>" +
       std::string(kAdminFormType) + "</value></field><field var='roomjid'><value>" + room("busy") +
       "</value></field></x></command></iq>");
  EXPECT_EQ(runner.held.size(), 1u);  // only the archive write; the destroy waits
  runner.release();
  auto sent = take();
  // The message was reflected before the room went away, and then the admin was answered.
  std::size_t reflected = sent.size(), answered = sent.size();
  for (std::size_t i = 0; i < sent.size(); ++i) {
    if (sent[i].name() == "message" && sent[i].attr_or("id") == "m1") reflected = i;
    if (sent[i].name() == "iq" && sent[i].attr_or("id") == "d") answered = i;
  }
  ASSERT_LT(reflected, sent.size());
  ASSERT_LT(answered, sent.size());
  EXPECT_LT(reflected, answered);
  EXPECT_EQ(room_store.rows.count(room_jid(room("busy"))), 0u);
}

// Several instances (docs/cluster.md): the active instance's commands show its leases.
class ClusterAdminTest : public AdminCommandsTest {
 protected:
  void SetUp() override {
    service = make_service({"root@example.org"});
    services.runner = &runner;
    keeper = std::make_unique<cluster::LeaseKeeper>(
        cluster::LeaseSettings{4, 10000ms, 2000ms, 1000ms}, "n1#test", leases, services);
    keeper->step();  // takes the leader shard, then the rest
    register_admin_commands(service->commands(), *service, nullptr, keeper.get());
  }
  FakeLeaseStore leases;
  Services services;
  std::unique_ptr<cluster::LeaseKeeper> keeper;
};

TEST_F(ClusterAdminTest, StatsAndRoomListShowTheLeases) {
  create("open");
  auto stats = result_of(command(kAdmin, kStatsNode));
  EXPECT_EQ(stats.field("cluster-instance")->value(), "n1#test");
  EXPECT_EQ(stats.field("cluster-active")->value(), "1");
  EXPECT_EQ(stats.field("cluster-shards-held")->value(), "4");
  EXPECT_EQ(stats.field("cluster-shards")->value(), "4");
  EXPECT_EQ(stats.field("cluster-terms")->value(), "1");
  EXPECT_EQ(stats.field("cluster-fenced-commits")->value(), "0");
  auto list = result_of(command(kAdmin, kListRoomsNode));
  const std::string shard = std::to_string(shard_of(room("open"), 4));
  EXPECT_EQ(list.field("details")->values,
            (std::vector<std::string>{room("open") + " occupants=1 temporary shard=" + shard +
                                      " holder=n1#test term=1"}));
}

// A federated room (docs/federation.md §3): stats show the mirror set and the agreement.
class FederationAdminTest : public AdminCommandsTest {
 protected:
  void SetUp() override {
    service = make_service({"root@example.org"});
    federation = std::make_unique<federation::FederationService>(
        federation::FederationConfig{"room@mls.a.test",
                                     {"room@mls.a.test", "room@rooms.example.org"},
                                     "room@rooms.example.org"},
        [](xmpp::Element) {}, [](const std::string&) {}, 1);
    register_admin_commands(service->commands(), *service, nullptr, nullptr, federation.get());
  }
  std::unique_ptr<federation::FederationService> federation;
};

TEST_F(FederationAdminTest, StatsShowTheMirrorSetAndTheAgreement) {
  auto stats = result_of(command(kAdmin, kStatsNode));
  EXPECT_EQ(stats.field("federation-room")->value(), "room@rooms.example.org");
  EXPECT_EQ(stats.field("federation-home")->value(), "room@mls.a.test");
  EXPECT_EQ(stats.field("federation-mirrors")->values,
            (std::vector<std::string>{"room@mls.a.test", "room@rooms.example.org"}));
  EXPECT_EQ(stats.field("federation-role")->value(), "follower");
  EXPECT_EQ(stats.field("federation-sequencer")->value(), "room@mls.a.test");  // term 1: the home
  EXPECT_EQ(stats.field("federation-term")->value(), "1");
  EXPECT_EQ(stats.field("federation-final")->value(), "0");
}

TEST_F(AdminCommandsTest, WithoutAClusterNoLeaseFieldsAppear) {
  auto stats = result_of(command(kAdmin, kStatsNode));
  EXPECT_EQ(stats.field("cluster-active"), nullptr);
  EXPECT_EQ(stats.field("federation-room"), nullptr);
}

}  // namespace
}  // namespace conclave::component::testing

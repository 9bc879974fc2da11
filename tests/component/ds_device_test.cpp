// Several devices per user in a room's group (docs/protocol.md §6.1, §6.13, BR-13, BR-14): every
// leaf names its device (CR-7, CM-12), one device holds at most one leaf of its account, the
// service lists the rooms holding a leaf of an account, and a retired device's leaves get
// service Remove proposals, in every room when the device is retired at the service; a leaf's
// device must be on its account's device list (CR-8, CM-13).
#include <gtest/gtest.h>

#include "ds_fixture.h"

namespace conclave::component::testing {
namespace {

class DeviceTest : public DsTest {
 protected:
  mls::KeyPackageBundle on(const std::string& who, const std::string& device) {
    return bundle(who, suite1(), kWeek, device);
  }
  std::string commit_epoch(const std::string& from, const mls::CommitOutput& c) {
    auto r = iq(from, room("r"), "set", commit_xml(c));
    const auto* a = r.child("accepted", "urn:xmpp:mls:0");
    return a == nullptr ? "error:" + error_condition(r) + ":" + mls_error(r, "invalid-commit")
                        : std::string(a->attr_or("epoch"));
  }
  // rooms: the <rooms/> answer for `from` as "room/device" items.
  std::string rooms(const std::string& from) {
    auto r = iq(from, kService, "get", "<rooms xmlns='urn:xmpp:mls:0'/>");
    const auto* q = r.child("rooms", "urn:xmpp:mls:0");
    if (q == nullptr) return "error:" + error_condition(r);
    std::string text;
    for (const auto* item : q->children_named("room", "urn:xmpp:mls:0")) {
      text += std::string(item->attr_or("jid")) + "/" + std::string(item->attr_or("device")) + " ";
    }
    return text;
  }
};

TEST_F(DeviceTest, CreateWithALeafNamingNoDeviceIsRefused) {  // CR-7
  create("r");
  auto keys = suite1().generate_signature_key_pair();
  auto b =
      mls::make_key_package(suite1(), credential("alice@example.org"), std::move(keys.private_key));
  ASSERT_TRUE(b.has_value());
  auto g = mls::Group::create(suite1(), mls::Bytes{1, 2, 3}, *b, {external_senders()});
  ASSERT_TRUE(g.has_value());
  auto r = create_iq(kAlice, *g);
  EXPECT_EQ(error_condition(r), "bad-request");
  EXPECT_NE(mls_error(r, "invalid-commit").find("names no device"), std::string::npos);
  EXPECT_EQ(stored_epoch(), ~std::uint64_t{0});
}

TEST_F(DeviceTest, CreateByADeviceNotOnTheListIsForbidden) {  // CR-8
  create("r");
  auto b = testing::bundle("alice@example.org", suite1(), kWeek, "unlisted");
  auto g = mls::Group::create(suite1(), mls::Bytes{4, 5, 6}, b, {external_senders()});
  ASSERT_TRUE(g.has_value());
  auto r = create_iq(kAlice, *g);
  EXPECT_EQ(error_condition(r), "forbidden");
  EXPECT_EQ(mls_error(r, "unknown-device"), "present");
  EXPECT_EQ(stored_epoch(), ~std::uint64_t{0});
  mls_store.register_device("alice@example.org", "unlisted");
  EXPECT_EQ(create_iq(kAlice, *g).attr_or("type"), "result");
}

TEST_F(DeviceTest, OneCommitAddsEveryDeviceOfAUserWithOneWelcome) {
  mls::Group g = room_with_group();
  take();
  auto c = commit_adding(g, {on("bob@example.org", "phone").key_package,
                             on("bob@example.org", "desktop").key_package});
  send("<iq type='set' id='q' from='" + std::string(kAlice) + "' to='" + room("r") + "'>" +
       commit_xml(c) + "</iq>");
  std::size_t welcomes = 0;
  for (const auto& s : take()) {
    if (s.child("welcome", "urn:xmpp:mls:0") != nullptr) {
      ++welcomes;
      EXPECT_EQ(s.attr_or("to"), "bob@example.org");  // every device of bob gets it
    }
  }
  EXPECT_EQ(welcomes, 1u);
  EXPECT_EQ(stored_epoch(), 1u);
}

TEST_F(DeviceTest, ASecondLeafOfTheSameDeviceIsRefused) {  // CM-12
  mls::Group g = room_with_group();
  auto c = commit_adding(
      g, {on("bob@example.org", "phone").key_package, on("bob@example.org", "phone").key_package});
  EXPECT_EQ(commit_epoch(kAlice, c),
            "error:bad-request:device phone of bob@example.org already holds a leaf");
  EXPECT_EQ(stored_epoch(), 0u);
  // The same device name under another account is another device.
  auto ok = commit_adding(g, {on("bob@example.org", "phone").key_package,
                              on("carol@example.org", "phone").key_package});
  EXPECT_EQ(commit_epoch(kAlice, ok), "1");
}

TEST_F(DeviceTest, AnAddedLeafNamingNoDeviceIsRefused) {  // CM-12
  mls::Group g = room_with_group();
  auto keys = suite1().generate_signature_key_pair();
  auto b =
      mls::make_key_package(suite1(), credential("bob@example.org"), std::move(keys.private_key));
  ASSERT_TRUE(b.has_value());
  auto c = commit_adding(g, {b->key_package});
  EXPECT_NE(commit_epoch(kAlice, c).find("names no device"), std::string::npos);
  EXPECT_EQ(stored_epoch(), 0u);
}

TEST_F(DeviceTest, RoomsListsTheGroupsHoldingALeafOfTheAccount) {
  EXPECT_EQ(rooms(kBob), "");
  mls::Group g = room_with_group();
  EXPECT_EQ(rooms(kAlice).rfind(room("r") + "/dev", 0), 0u);  // the creator's leaf
  auto c = commit_adding(
      g, {on("bob@example.org", "phone").key_package, on("bob@example.org", "pc").key_package});
  ASSERT_EQ(commit_epoch(kAlice, c), "1");
  g = std::move(c.staged).merge();
  EXPECT_EQ(rooms(kBob), room("r") + "/pc " + room("r") + "/phone ");
  EXPECT_EQ(rooms(kCarol), "");
  // Removing bob's leaves takes the room off his list.
  mls::CommitOptions rm;
  for (const mls::LeafIndex l : g.tree().non_blank_leaves()) {
    if (l != g.own_leaf()) rm.proposals.push_back(mls::Proposal{mls::Remove{l.value}});
  }
  auto r = g.commit(std::move(rm));
  ASSERT_TRUE(r.has_value());
  ASSERT_EQ(commit_epoch(kAlice, *r), "2");
  EXPECT_EQ(rooms(kBob), "");
}

TEST_F(DeviceTest, AGroupStoredBeforeTheMembershipIndexIsIndexedWhenLoaded) {  // §6.13
  // Persistent by its configuration: the fake stores keep no room row for create_group to mark.
  room_with_group({{"muc#roomconfig_persistentroom", "1"}});
  mls_store.drop_members(room_jid(room("r")));  // as stored before schema 0006
  rebuild();                                    // an empty cache, as after a restart
  EXPECT_EQ(rooms(kAlice), "");
  // Anything that loads the group fills the index from its tree.
  auto gi = iq(kAlice, room("r"), "get", "<group-info xmlns='urn:xmpp:mls:0'/>");
  ASSERT_NE(gi.child("group-info", "urn:xmpp:mls:0"), nullptr) << xmpp::to_string(gi);
  EXPECT_EQ(rooms(kAlice).rfind(room("r") + "/dev", 0), 0u);
}

TEST_F(DeviceTest, RetiringADeviceProposesTheRemoveOfItsLeaves) {  // BR-14
  mls::Group g = room_with_group();
  auto c = commit_adding(
      g, {on("bob@example.org", "phone").key_package, on("bob@example.org", "pc").key_package});
  ASSERT_EQ(commit_epoch(kAlice, c), "1");
  g = std::move(c.staged).merge();
  take();
  // Nobody retires another account's device; an unknown device has no leaf.
  EXPECT_EQ(error_condition(
                iq(kCarol, room("r"), "set", "<retire-device xmlns='urn:xmpp:mls:0' id='phone'/>")),
            "item-not-found");
  EXPECT_EQ(error_condition(
                iq(kBob, room("r"), "set", "<retire-device xmlns='urn:xmpp:mls:0' id='tv'/>")),
            "item-not-found");
  EXPECT_TRUE(mls_store.pending_proposals(room_jid(room("r")))->empty());
  send("<iq type='set' id='ret' from='" + std::string(kBob) + "' to='" + room("r") +
       "'><retire-device xmlns='urn:xmpp:mls:0' id='phone'/></iq>");
  const xmpp::Element* proposal = nullptr;
  bool answered = false;
  auto sent = take();
  for (const auto& s : sent) {
    if (s.attr_or("id") == "ret") answered = s.attr_or("type") == "result";
    if (proposal == nullptr) proposal = s.child("proposal", "urn:xmpp:mls:0");
  }
  EXPECT_TRUE(answered);
  ASSERT_NE(proposal, nullptr);
  ASSERT_EQ(mls_store.pending_proposals(room_jid(room("r")))->size(), 1u);
  auto msg = mls::decode<mls::MlsMessage>(*base64_decode(proposal->text()));
  ASSERT_TRUE(msg.has_value());
  ASSERT_TRUE(g.handle_proposal(*msg).has_value());
  auto with = g.commit();
  ASSERT_TRUE(with.has_value());
  ASSERT_EQ(commit_epoch(kAlice, *with), "2");
  g = std::move(with->staged).merge();
  EXPECT_EQ(rooms(kBob), room("r") + "/pc ");
}

TEST_F(DeviceTest, AnAddedLeafOfADeviceNotOnTheListIsRefused) {  // CM-13
  mls::Group g = room_with_group();
  take();
  // A package bob's devices never published: made by someone else under bob's name.
  auto forged = testing::bundle("bob@example.org", suite1(), kWeek, "forged");
  auto c = commit_adding(g, {forged.key_package});
  auto r = iq(kAlice, room("r"), "set", commit_xml(c));
  EXPECT_EQ(error_condition(r), "forbidden");
  EXPECT_EQ(mls_error(r, "unknown-device"), "present");
  EXPECT_EQ(stored_epoch(), 0u);
  EXPECT_EQ(rooms(kBob), "");
  // Nothing went out: no fan-out, no Welcome.
  for (const auto& s : take()) EXPECT_EQ(s.child("welcome", "urn:xmpp:mls:0"), nullptr);
  mls_store.register_device("bob@example.org", "forged");
  EXPECT_EQ(commit_epoch(kAlice, c), "1");
}

TEST_F(DeviceTest, ARetiredDeviceCannotCommit) {  // CM-13
  mls::Group g = room_with_group();
  auto phone = on("bob@example.org", "phone");
  mls::CommitOptions o;
  o.proposals.push_back(mls::Proposal{mls::Add{phone.key_package}});
  o.ratchet_tree_in_welcome = true;
  auto c = g.commit(std::move(o));
  ASSERT_TRUE(c.has_value());
  ASSERT_EQ(commit_epoch(kAlice, *c), "1");
  auto bob = mls::Group::join(suite1(), *c->welcome, phone.key_package, std::move(phone.secrets),
                              std::nullopt);
  ASSERT_TRUE(bob.has_value()) << bob.error().message();
  join(kBob, room("r") + "/bob");
  // Taken off the list in the store alone (as when another instance retired it and no Remove
  // is pending here yet: with one pending, CM-7 would refuse the update first).
  ASSERT_TRUE(*mls_store.retire_device("bob@example.org", "phone"));
  take();
  // The phone's own update (its leaf is rewritten) is refused: the device is off the list.
  auto update = bob->commit();
  ASSERT_TRUE(update.has_value());
  auto r = iq(kBob, room("r"), "set", commit_xml(*update));
  EXPECT_EQ(error_condition(r), "forbidden");
  EXPECT_EQ(mls_error(r, "unknown-device"), "present");
  EXPECT_EQ(stored_epoch(), 1u);
}

TEST_F(DeviceTest, RetiringADeviceAtTheServiceProposesItsRemovesInEveryRoom) {  // BR-14
  // Two rooms, each holding bob's phone and pc.
  std::vector<std::string> names{"r", "r2"};
  std::vector<mls::Group> groups;
  for (const std::string& name : names) {
    create(name);
    mls::Group g = new_group("alice@example.org", "g-" + name);
    ASSERT_EQ(iq(kAlice, room(name), "set", xmpp::to_string(create_iq_payload(g))).attr_or("type"),
              "result");
    auto c = commit_adding(
        g, {on("bob@example.org", "phone").key_package, on("bob@example.org", "pc").key_package});
    auto r = iq(kAlice, room(name), "set", commit_xml(c));
    ASSERT_NE(r.child("accepted", "urn:xmpp:mls:0"), nullptr) << xmpp::to_string(r);
    groups.push_back(std::move(c.staged).merge());
  }
  take();
  auto r = iq(kBob, kService, "set", "<retire-device xmlns='urn:xmpp:mls:0' id='phone'/>");
  ASSERT_EQ(r.attr_or("type"), "result");
  // Without any request to the rooms, each gets one service Remove: the phone's leaf.
  for (std::size_t i = 0; i < names.size(); ++i) {
    auto pending = mls_store.pending_proposals(room_jid(room(names[i])));
    ASSERT_TRUE(pending && pending->size() == 1u) << names[i];
    auto msg = mls::decode<mls::MlsMessage>(pending->front().mls_message);
    ASSERT_TRUE(msg.has_value());
    ASSERT_TRUE(groups[i].handle_proposal(*msg).has_value());
    auto with = groups[i].commit();
    ASSERT_TRUE(with.has_value());
    auto a = iq(kAlice, room(names[i]), "set", commit_xml(*with));
    ASSERT_NE(a.child("accepted", "urn:xmpp:mls:0"), nullptr) << xmpp::to_string(a);
  }
  EXPECT_EQ(rooms(kBob), room("r2") + "/pc " + room("r") + "/pc ");  // ordered by room
  EXPECT_EQ(mls_store.pending_proposals(room_jid(room("r")))->size(), 0u);
}

}  // namespace
}  // namespace conclave::component::testing

// External join and resync (docs/protocol.md §6.8, RFC 9420 §12.4.3.2): a user joins from the
// GroupInfo and tree the service serves (§6.6), without a Welcome; a member who lost its state
// replaces its own old leaf. Checks CM-4 (the new leaf names the sender), BR-1 (the room allows
// the sender), CM-6 (a resync removes only the sender's own leaf), CM-7 (external commits
// cannot carry the pending service proposals by reference) and the epoch rule.
#include <gtest/gtest.h>

#include "component/ds/identity.h"
#include "ds_fixture.h"

namespace conclave::component::testing {
namespace {

using Stanzas = std::vector<xmpp::Element>;

struct Served {
  mls::GroupInfo group_info;
  mls::RatchetTree tree;
  std::uint64_t epoch = 0;
};

struct ExternalCommit {
  std::string payload;      // the <commit/> element
  mls::MlsMessage message;  // as sent
};

class ExternalTest : public DsTest {
 protected:
  // fetch: the GroupInfo and tree the service serves to `who` (§6.6).
  Served fetch(const std::string& who) {
    auto r = iq(who, room("r"), "get", "<group-info xmlns='urn:xmpp:mls:0'/>");
    const auto* a = r.child("group-info", "urn:xmpp:mls:0");
    EXPECT_NE(a, nullptr) << xmpp::to_string(r);
    if (a == nullptr) return {};
    auto gi =
        mls::decode<mls::MlsMessage>(*base64_decode(a->child_text("group-info", "urn:xmpp:mls:0")));
    auto tree = mls::decode<mls::RatchetTree>(
        *base64_decode(a->child_text("ratchet-tree", "urn:xmpp:mls:0")));
    EXPECT_TRUE(gi.has_value() && tree.has_value());
    Served served;
    served.group_info = std::get<mls::GroupInfo>(gi->message);
    served.tree = std::move(*tree);
    served.epoch = std::stoull(std::string(a->attr_or("epoch")));
    return served;
  }

  // external: `identity`'s external commit on `served` (removing `resync_leaf`, if given), with
  // the GroupInfo of the new epoch its new leaf signs.
  ExternalCommit external(const std::string& identity, const Served& served,
                          std::optional<mls::LeafIndex> resync_leaf = std::nullopt) {
    auto joiner = bundle(identity);
    auto r =
        mls::Group::join_external(suite1(), served.group_info, served.tree, joiner, resync_leaf);
    EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().message());
    mls::Group g = std::move(r->second).merge();
    auto gi = g.group_info(false);
    EXPECT_TRUE(gi.has_value());
    ExternalCommit made;
    made.message = r->first;
    made.payload = "<commit xmlns='urn:xmpp:mls:0'><message>" + b64(mls::encode(r->first)) +
                   "</message><group-info>" + b64_message(*gi) + "</group-info></commit>";
    return made;
  }

  // send_commit: everything the service sent for the commit IQ (id 'q').
  Stanzas send_commit(const std::string& from, const std::string& payload) {
    send("<iq type='set' id='q' from='" + from + "' to='" + room("r") + "'>" + payload + "</iq>");
    return take();
  }
  static const xmpp::Element* reply_in(const Stanzas& all) {
    for (const auto& s : all) {
      if (s.name() == "iq" && s.attr_or("id") == "q") return &s;
    }
    return nullptr;
  }
  static std::string outcome(const Stanzas& all) {
    const xmpp::Element* r = reply_in(all);
    if (r == nullptr) return "no reply";
    const auto* a = r->child("accepted", "urn:xmpp:mls:0");
    return a != nullptr ? "accepted " + std::string(a->attr_or("epoch"))
                        : "error:" + error_condition(*r);
  }
  // fanned_out: the commit the occupant `to` received, decoded.
  static std::optional<mls::MlsMessage> fanned_out(const Stanzas& all, const std::string& to) {
    for (const auto& s : all) {
      if (s.attr_or("to") != to) continue;
      if (const auto* c = s.child("commit", "urn:xmpp:mls:0")) {
        auto m = mls::decode<mls::MlsMessage>(*base64_decode(c->text()));
        if (m) return std::move(*m);
      }
    }
    return std::nullopt;
  }
  // leaves_of: how many leaves of the stored tree name `identity`.
  std::size_t leaves_of(const std::string& identity) {
    auto served = fetch(kAlice);
    auto tree = mls::PublicTree::from_nodes(suite1(), served.tree);
    EXPECT_TRUE(tree.has_value());
    std::size_t n = 0;
    for (const mls::LeafIndex l : tree->non_blank_leaves()) {
      n += ds::leaf_identity(*tree, l) == identity ? 1 : 0;
    }
    return n;
  }
  // expect_one_pending_at: the room's one pending service proposal was made in `epoch`.
  void expect_one_pending_at(std::uint64_t epoch) {
    auto pending = mls_store.pending_proposals(room_jid(room("r")));
    ASSERT_TRUE(pending && pending->size() == 1u);
    EXPECT_EQ(pending->front().epoch, epoch);
  }
  void ban(const std::string& bare) {
    iq(kAlice, room("r"), "set",
       "<query xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='outcast' jid='" +
           bare + "'/></query>");
  }
};

TEST_F(ExternalTest, ExternalJoinIsAcceptedArchivedAndFannedOut) {
  mls::Group alice = room_with_group();
  ExternalCommit c = external("bob@example.org", fetch(kBob));  // bob is not an occupant
  Stanzas sent = send_commit(kBob, c.payload);
  EXPECT_EQ(outcome(sent), "accepted 1");
  EXPECT_EQ(stored_epoch(), 1u);
  EXPECT_EQ(ds->epoch_of(room("r")), 1u);
  ASSERT_EQ(archive.rows.size(), 1u);
  EXPECT_EQ(archive.rows[0].from_jid, "bob@example.org");
  EXPECT_EQ(leaves_of("bob@example.org"), 1u);
  EXPECT_TRUE(mls_store.unsent_welcomes(10)->empty());  // no Welcome for an external join
  // The occupant receives a commit it can process into the same epoch.
  auto to_alice = fanned_out(sent, kAlice);
  ASSERT_TRUE(to_alice.has_value());
  auto staged = alice.stage_commit(*to_alice);
  ASSERT_TRUE(staged.has_value()) << staged.error().message();
  EXPECT_EQ(std::move(*staged).merge().epoch(), 1u);
}

TEST_F(ExternalTest, ExternalCommitOnAnOlderGroupInfoGetsTheCurrentEpoch) {
  mls::Group alice = room_with_group();
  const Served old = fetch(kBob);
  ASSERT_EQ(outcome(send_commit(kAlice, commit_xml(commit_adding(alice, {})))), "accepted 1");
  Stanzas sent = send_commit(kBob, external("bob@example.org", old).payload);
  EXPECT_EQ(outcome(sent), "error:conflict");
  const auto* e =
      reply_in(sent)->child("error", xmpp::ns::kComponent)->child("wrong-epoch", "urn:xmpp:mls:0");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->attr_or("current"), "1");
  EXPECT_EQ(stored_epoch(), 1u);
  EXPECT_EQ(archive.rows.size(), 1u);  // alice's commit only
  EXPECT_EQ(leaves_of("bob@example.org"), 0u);
  // Fetching again and rebuilding succeeds (docs/protocol.md §6.8).
  EXPECT_EQ(outcome(send_commit(kBob, external("bob@example.org", fetch(kBob)).payload)),
            "accepted 2");
}

TEST_F(ExternalTest, ExternalJoinOfAnOutcastIsForbidden) {
  mls::Group alice = room_with_group();
  ban("mallory@example.org");
  auto gi = alice.group_info(false);  // mallory cannot fetch it: taken from a member
  ASSERT_TRUE(gi.has_value());
  Served served{*gi, {}, 0};
  auto tree = mls::decode<mls::RatchetTree>(alice.tree().encode());
  ASSERT_TRUE(tree.has_value());
  served.tree = std::move(*tree);
  Stanzas sent =
      send_commit("mallory@example.org/x", external("mallory@example.org", served).payload);
  EXPECT_EQ(outcome(sent), "error:forbidden");
  EXPECT_EQ(stored_epoch(), 0u);
  EXPECT_TRUE(archive.rows.empty());
}

TEST_F(ExternalTest, MembersOnlyRoomLetsOnlyMembersJoinExternally) {
  create("r", {{"muc#roomconfig_membersonly", "1"}});
  mls::Group alice = new_group("alice@example.org");
  ASSERT_EQ(create_iq(kAlice, alice).attr_or("type"), "result");
  take();
  // bob may not even fetch the GroupInfo, nor commit one taken from a member.
  auto refused = iq(kBob, room("r"), "get", "<group-info xmlns='urn:xmpp:mls:0'/>");
  EXPECT_EQ(error_condition(refused), "forbidden");
  auto gi = alice.group_info(false);
  ASSERT_TRUE(gi.has_value());
  auto tree = mls::decode<mls::RatchetTree>(alice.tree().encode());
  ASSERT_TRUE(tree.has_value());
  const Served served{*gi, *tree, 0};
  EXPECT_EQ(outcome(send_commit(kBob, external("bob@example.org", served).payload)),
            "error:forbidden");
  EXPECT_EQ(stored_epoch(), 0u);
  iq(kAlice, room("r"), "set",
     "<query xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='member' "
     "jid='bob@example.org'/></query>");
  EXPECT_EQ(outcome(send_commit(kBob, external("bob@example.org", fetch(kBob)).payload)),
            "accepted 1");
}

TEST_F(ExternalTest, ExternalCommitWhoseLeafNamesSomeoneElseIsForbidden) {
  room_with_group();
  // bob's stanza, carol's credential in the new leaf (CM-4).
  Stanzas sent = send_commit(kBob, external("carol@example.org", fetch(kBob)).payload);
  EXPECT_EQ(outcome(sent), "error:forbidden");
  EXPECT_EQ(stored_epoch(), 0u);
  EXPECT_TRUE(archive.rows.empty());
  EXPECT_EQ(leaves_of("carol@example.org"), 0u);
}

TEST_F(ExternalTest, ResyncReplacesTheSendersOwnOldLeaf) {
  mls::Group alice = room_with_group();
  join(kBob, room("r") + "/Bob");
  auto add = commit_adding(alice, {bundle("bob@example.org").key_package});
  ASSERT_EQ(outcome(send_commit(kAlice, commit_xml(add))), "accepted 1");
  alice = std::move(add.staged).merge();
  ASSERT_EQ(leaves_of("bob@example.org"), 1u);
  // bob lost his state: a new leaf by external commit, removing his old one (leaf 1).
  Stanzas sent =
      send_commit(kBob, external("bob@example.org", fetch(kBob), mls::LeafIndex{1}).payload);
  EXPECT_EQ(outcome(sent), "accepted 2");
  EXPECT_EQ(stored_epoch(), 2u);
  EXPECT_EQ(leaves_of("bob@example.org"), 1u);  // replaced, not added
  EXPECT_EQ(archive.rows.size(), 2u);
  auto to_alice = fanned_out(sent, kAlice);
  ASSERT_TRUE(to_alice.has_value());
  auto staged = alice.stage_commit(*to_alice);
  ASSERT_TRUE(staged.has_value()) << staged.error().message();
  EXPECT_EQ(std::move(*staged).merge().epoch(), 2u);
}

TEST_F(ExternalTest, ResyncMayNotRemoveAnotherMembersLeaf) {
  mls::Group alice = room_with_group();
  auto add = commit_adding(alice, {bundle("bob@example.org").key_package});
  ASSERT_EQ(outcome(send_commit(kAlice, commit_xml(add))), "accepted 1");
  // bob's external commit removes alice's leaf 0 (CM-6).
  Stanzas sent =
      send_commit(kBob, external("bob@example.org", fetch(kBob), mls::LeafIndex{0}).payload);
  EXPECT_EQ(outcome(sent), "error:forbidden");
  EXPECT_EQ(stored_epoch(), 1u);
  EXPECT_EQ(leaves_of("alice@example.org"), 1u);
  EXPECT_EQ(archive.rows.size(), 1u);
}

TEST_F(ExternalTest, ExternalJoinWhileAServiceRemoveIsPendingIsAcceptedAndTheRemoveIsRenewed) {
  mls::Group alice = room_with_group();
  auto add = commit_adding(alice, {bundle("bob@example.org").key_package});
  ASSERT_EQ(outcome(send_commit(kAlice, commit_xml(add))), "accepted 1");
  ban("bob@example.org");
  expect_one_pending_at(1);
  // An external commit cannot carry proposals by reference (RFC 9420 §12.4.3.2), so CM-7 does
  // not apply to it; the service proposes the Remove again in the new epoch (BR-5).
  Stanzas sent = send_commit(kCarol, external("carol@example.org", fetch(kCarol)).payload);
  EXPECT_EQ(outcome(sent), "accepted 2");
  expect_one_pending_at(2);
  EXPECT_EQ(leaves_of("bob@example.org"), 1u);  // until a member commits the Remove
}

TEST_F(ExternalTest, AnExternalCommitLeavesARetiredDevicesRemoveProposedAgain) {  // BR-14
  mls::Group alice = room_with_group();
  auto add =
      commit_adding(alice, {bundle("bob@example.org", suite1(), kWeek, "phone").key_package});
  ASSERT_EQ(outcome(send_commit(kAlice, commit_xml(add))), "accepted 1");
  // bob retires the phone at the service: the service proposes its Remove by itself.
  auto retired = iq(kBob, kService, "set", "<retire-device xmlns='urn:xmpp:mls:0' id='phone'/>");
  ASSERT_EQ(retired.attr_or("type"), "result") << xmpp::to_string(retired);
  expect_one_pending_at(1);
  // carol's external join cannot carry it (RFC 9420 §12.4.3.2) and bob is still allowed in the
  // room, so only the device list says the leaf must go: it is proposed again in epoch 2.
  Stanzas sent = send_commit(kCarol, external("carol@example.org", fetch(kCarol)).payload);
  EXPECT_EQ(outcome(sent), "accepted 2");
  expect_one_pending_at(2);
}

TEST_F(ExternalTest, AnExternalJoinFromAnUnlistedDeviceIsForbidden) {  // CM-13
  room_with_group();
  // carol's device never published a package (the free bundle() lists nothing).
  auto joiner = testing::bundle("carol@example.org", suite1(), kWeek, "ghost");
  const Served served = fetch(kCarol);
  auto r = mls::Group::join_external(suite1(), served.group_info, served.tree, joiner);
  ASSERT_TRUE(r.has_value());
  mls::Group g = std::move(r->second).merge();
  auto gi = g.group_info(false);
  ASSERT_TRUE(gi.has_value());
  const std::string payload = "<commit xmlns='urn:xmpp:mls:0'><message>" +
                              b64(mls::encode(r->first)) + "</message><group-info>" +
                              b64_message(*gi) + "</group-info></commit>";
  Stanzas sent = send_commit(kCarol, payload);
  EXPECT_EQ(outcome(sent), "error:forbidden");
  const xmpp::Element* reply = reply_in(sent);
  ASSERT_NE(reply, nullptr);
  EXPECT_EQ(mls_error(*reply, "unknown-device"), "present");
  EXPECT_EQ(stored_epoch(), 0u);
  EXPECT_EQ(archive.rows.size(), 0u);
  // Once the device is listed (its upload), the same commit is accepted.
  mls_store.register_device("carol@example.org", "ghost");
  EXPECT_EQ(outcome(send_commit(kCarol, payload)), "accepted 1");
}

}  // namespace
}  // namespace conclave::component::testing

// The service: routing, disco, unknown rooms, and persistence across a restart (reload from
// the stores).
#include "component/muc/muc_service.h"

#include <gtest/gtest.h>

#include <fstream>
#include <optional>
#include <sstream>

#include "component/app/config.h"
#include "component/muc/room_config.h"
#include "fakes.h"

namespace conclave::component::testing {
namespace {

const std::string kAlice = "alice@example.org/phone";
const std::string kBob = "bob@example.org/laptop";

TEST_F(ServiceTest, ServiceDiscoInfoIsConferenceText) {
  auto r = iq(kAlice, kService, "get", "<query xmlns='http://jabber.org/protocol/disco#info'/>");
  const auto* q = r.child("query", "http://jabber.org/protocol/disco#info");
  ASSERT_NE(q, nullptr);
  const auto* id = q->child("identity", "http://jabber.org/protocol/disco#info");
  EXPECT_EQ(id->attr_or("category"), "conference");
  EXPECT_EQ(id->attr_or("type"), "text");
  bool muc = false;
  for (const auto* f : q->children_named("feature", "http://jabber.org/protocol/disco#info")) {
    muc = muc || f->attr_or("var") == "http://jabber.org/protocol/muc";
  }
  EXPECT_TRUE(muc);
}

// Every room keeps a MAM archive; the service says so as Prosody's and ejabberd's do.
TEST_F(ServiceTest, ServiceDiscoInfoListsMam) {
  auto r = iq(kAlice, kService, "get", "<query xmlns='http://jabber.org/protocol/disco#info'/>");
  const auto* q = r.child("query", "http://jabber.org/protocol/disco#info");
  ASSERT_NE(q, nullptr);
  bool mam = false;
  for (const auto* f : q->children_named("feature", "http://jabber.org/protocol/disco#info")) {
    mam = mam || f->attr_or("var") == "urn:xmpp:mam:2";
  }
  EXPECT_TRUE(mam);
}

// A stanza for another domain is answered, but as the service: a component never speaks for a
// domain that is not its own.
TEST_F(ServiceTest, MisroutedStanzaIsAnsweredFromTheServiceDomain) {
  auto r = iq(kAlice, "room@elsewhere.example.org", "get", "<ping xmlns='urn:xmpp:ping'/>");
  EXPECT_EQ(error_condition(r), "item-not-found");
  EXPECT_EQ(r.attr_or("from"), kService);
  EXPECT_EQ(r.attr_or("to"), kAlice);
}

TEST_F(ServiceTest, DiscoItemsListsPublicUnlockedRoomsOnly) {
  create("open");
  create("hidden", {{"muc#roomconfig_publicroom", "0"}});
  join(kAlice, room("locked") + "/Alice");
  auto r = iq(kBob, kService, "get", "<query xmlns='http://jabber.org/protocol/disco#items'/>");
  auto items = r.child("query", "http://jabber.org/protocol/disco#items")
                   ->children_named("item", "http://jabber.org/protocol/disco#items");
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0]->attr_or("jid"), room("open"));
}

TEST_F(ServiceTest, RoomDiscoInfoHasTypeFeaturesAndRoominfoForm) {
  create("r", {{"muc#roomconfig_membersonly", "1"}, {"muc#roomconfig_whois", "anyone"}});
  auto r = iq(kAlice, room("r"), "get", "<query xmlns='http://jabber.org/protocol/disco#info'/>");
  std::set<std::string> features;
  const auto* q = r.child("query", "http://jabber.org/protocol/disco#info");
  for (const auto* f : q->children_named("feature", "http://jabber.org/protocol/disco#info")) {
    features.insert(std::string(f->attr_or("var")));
  }
  for (const char* f :
       {"http://jabber.org/protocol/muc", "muc_membersonly", "muc_nonanonymous", "muc_temporary",
        "muc_unmoderated", "muc_unsecured", "muc_public", "urn:xmpp:mam:2",
        "urn:xmpp:occupant-id:0", "http://jabber.org/protocol/muc#stable_id",
        "http://jabber.org/protocol/muc#self-ping-optimization"}) {
    EXPECT_EQ(features.count(f), 1u) << f;
  }
  auto form = xmpp::find_data_form(*q);
  ASSERT_TRUE(form && *form);
  EXPECT_EQ((*form)->form_type(), "http://jabber.org/protocol/muc#roominfo");
  EXPECT_EQ((*form)->field("muc#roominfo_occupants")->value(), "1");
  // Who may change the subject, under the registry's name and the two others clients read.
  for (const char* var :
       {"muc#roominfo_subjectmod", "muc#roomconfig_changesubject", "muc#roominfo_changesubject"}) {
    ASSERT_NE((*form)->field(var), nullptr) << var;
    EXPECT_EQ((*form)->field(var)->value(), "0") << var;
  }
}

// The encrypted room mode (component/store/room_mode.h, docs/protocol.md §6.5): a default that
// follows the room's kind, an owner's choice in the configuration form, shown in the roominfo
// form, stored (the rooms.mode column too) and refused when unknown, changing nothing.
TEST_F(ServiceTest, TheRoomModeFollowsTheKindUntilTheOwnerChoosesOne) {
  auto mode = [&](const std::string& name) {
    auto r =
        iq(kAlice, room(name), "get", "<query xmlns='http://jabber.org/protocol/disco#info'/>");
    auto form = xmpp::find_data_form(*r.child("query", "http://jabber.org/protocol/disco#info"));
    if (!form || !*form || (*form)->field("{urn:xmpp:mls:0}mode") == nullptr) return std::string();
    return (*form)->field("{urn:xmpp:mls:0}mode")->value();
  };
  create("open", {{"muc#roomconfig_persistentroom", "1"}});
  EXPECT_EQ(mode("open"), "chat_room");
  EXPECT_EQ(room_store.rows.at(room_jid(room("open"))).mode, RoomMode::chat_room);
  // Members only, no choice made: a private group chat.
  ASSERT_EQ(configure(kAlice, room("open"), {{"muc#roomconfig_membersonly", "1"}}), "result");
  EXPECT_EQ(mode("open"), "group_chat");
  EXPECT_EQ(room_store.rows.at(room_jid(room("open"))).mode, RoomMode::group_chat);
  // The owner's form offers both, with the current one selected.
  auto form_iq =
      iq(kAlice, room("open"), "get", "<query xmlns='http://jabber.org/protocol/muc#owner'/>");
  auto owner_form =
      xmpp::find_data_form(*form_iq.child("query", "http://jabber.org/protocol/muc#owner"));
  ASSERT_TRUE(owner_form && *owner_form);
  const xmpp::FormField* field = (*owner_form)->field("{urn:xmpp:mls:0}mode");
  ASSERT_NE(field, nullptr);
  EXPECT_EQ(field->value(), "group_chat");
  EXPECT_EQ(field->options.size(), 2u);
  // A wrong value is refused and changes nothing.
  EXPECT_EQ(configure(kAlice, room("open"), {{"{urn:xmpp:mls:0}mode", "anarchy"}}), "error");
  EXPECT_EQ(mode("open"), "group_chat");
  // The owner's choice wins over the default, and survives a restart.
  ASSERT_EQ(configure(kAlice, room("open"), {{"{urn:xmpp:mls:0}mode", "chat_room"}}), "result");
  EXPECT_EQ(mode("open"), "chat_room");
  EXPECT_EQ(room_store.rows.at(room_jid(room("open"))).mode, RoomMode::chat_room);
  service = make_service();  // a restart: new service, same stores
  ASSERT_TRUE(service->load());
  EXPECT_EQ(mode("open"), "chat_room");
}

// muc#roomconfig_lang (XEP-0045 §16.5.3) in the owner's form, muc#roominfo_lang (§16.5.4) in
// disco#info: empty until the owner sets it (as Prosody), an xs:language tag or refused,
// stored with the room's settings and so surviving a restart.
TEST_F(ServiceTest, TheRoomLanguageIsConfiguredShownInRoominfoAndKept) {
  auto lang = [&](const std::string& name) -> std::optional<std::string> {
    auto r = iq(kBob, room(name), "get", "<query xmlns='http://jabber.org/protocol/disco#info'/>");
    auto form = xmpp::find_data_form(*r.child("query", "http://jabber.org/protocol/disco#info"));
    if (!form || !*form || (*form)->field("muc#roominfo_lang") == nullptr) return std::nullopt;
    return (*form)->field("muc#roominfo_lang")->value();
  };
  create("r", {{"muc#roomconfig_persistentroom", "1"}});
  EXPECT_EQ(lang("r"), "");  // present, not said
  auto form_iq =
      iq(kAlice, room("r"), "get", "<query xmlns='http://jabber.org/protocol/muc#owner'/>");
  auto owner_form =
      xmpp::find_data_form(*form_iq.child("query", "http://jabber.org/protocol/muc#owner"));
  ASSERT_TRUE(owner_form && *owner_form);
  const xmpp::FormField* field = (*owner_form)->field("muc#roomconfig_lang");
  ASSERT_NE(field, nullptr);
  EXPECT_EQ(field->type, xmpp::FieldType::text_single);
  EXPECT_EQ(field->value(), "");

  ASSERT_EQ(configure(kAlice, room("r"), {{"muc#roomconfig_lang", "de-CH"}}), "result");
  EXPECT_EQ(lang("r"), "de-CH");
  EXPECT_EQ(room_store.rows.at(room_jid(room("r"))).settings.at("muc#roomconfig_lang"), "de-CH");
  // Not a language tag: refused, nothing changes.
  for (const char* bad : {"english please", "-en", "en-", "toolongtag", "e1", "en--gb"}) {
    EXPECT_EQ(configure(kAlice, room("r"), {{"muc#roomconfig_lang", bad}}), "error") << bad;
  }
  EXPECT_EQ(lang("r"), "de-CH");

  service = make_service();  // a restart: new service, same stores
  ASSERT_TRUE(service->load());
  EXPECT_EQ(lang("r"), "de-CH");
  EXPECT_EQ(service->room(room("r"))->config().lang, "de-CH");
  // Emptied, it is no longer said.
  ASSERT_EQ(configure(kAlice, room("r"), {{"muc#roomconfig_lang", ""}}), "result");
  EXPECT_EQ(lang("r"), "");
}

TEST(RoomConfig, LanguageTagsAreXsLanguage) {
  for (const char* ok : {"en", "EN", "de-CH", "zh-Hant-TW", "x-klingon", "sgn-BE-fr", "i-1"}) {
    EXPECT_TRUE(is_language_tag(ok)) << ok;
  }
  for (const char* bad :
       {"", "-", "en-", "-en", "en_GB", "1en", "abcdefghi", "en-123456789", "en gb", "é"}) {
    EXPECT_FALSE(is_language_tag(bad)) << bad;
  }
}

TEST_F(ServiceTest, UnknownRoomIsItemNotFound) {
  auto r =
      iq(kAlice, room("nowhere"), "get", "<query xmlns='http://jabber.org/protocol/disco#info'/>");
  EXPECT_EQ(error_condition(r), "item-not-found");
  send("<message type='groupchat' from='" + kAlice + "' to='" + room("nowhere") +
       "'><body>x</body></message>");
  EXPECT_EQ(error_condition(take()[0]), "item-not-found");
}

TEST_F(ServiceTest, ErrorsAreNeverAnswered) {
  send("<message type='error' from='" + kAlice + "' to='" + room("nowhere") + "'/>");
  send("<iq type='error' id='e' from='" + kAlice + "' to='" + std::string(kService) + "'/>");
  EXPECT_TRUE(take().empty());
}

TEST_F(ServiceTest, PersistentRoomsAffiliationsSubjectAndHistorySurviveARestart) {
  create("keep", {{"muc#roomconfig_persistentroom", "1"},
                  {"muc#roomconfig_membersonly", "1"},
                  {"muc#roomconfig_roomname", "Kept"}});
  iq(kAlice, room("keep"), "set",
     "<query xmlns='http://jabber.org/protocol/muc#admin'><item jid='bob@example.org' "
     "affiliation='member'/></query>");
  const std::int64_t subject_set_ms = clock_ms;
  send("<message type='groupchat' from='" + kAlice + "' to='" + room("keep") +
       "'><subject>Plans</subject></message>");
  send("<message type='groupchat' id='m1' from='" + kAlice + "' to='" + room("keep") +
       "'><body>remember</body></message>");
  create("gone");  // temporary: must not come back
  take();

  service = make_service();  // a restart: new service, same stores
  auto loaded = service->load();
  ASSERT_TRUE(loaded);
  EXPECT_EQ(*loaded, 1u);
  const Room* r = service->room(room("keep"));
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(service->room(room("gone")), nullptr);
  EXPECT_EQ(room_store.rows.count(room_jid(room("gone"))), 0u);  // purged at start-up
  EXPECT_FALSE(r->locked());
  EXPECT_TRUE(r->config().members_only);
  EXPECT_EQ(r->config().name, "Kept");
  EXPECT_EQ(r->subject(), "Plans");
  EXPECT_EQ(r->affiliation_of("bob@example.org"), Affiliation::member);
  EXPECT_EQ(r->affiliation_of("alice@example.org"), Affiliation::owner);

  auto s = sent_to(join(kBob, room("keep") + "/Bob"), kBob);
  ASSERT_EQ(s.size(), 3u);  // self, history, subject
  EXPECT_TRUE(has_code(s[0], 110));
  EXPECT_FALSE(has_code(s[0], 201));
  EXPECT_EQ(s[1].child_text("body", xmpp::ns::kComponent), "remember");
  EXPECT_EQ(s[2].child_text("subject", xmpp::ns::kComponent), "Plans");
  // ... with the time it was set (XEP-0045 §7.2.15), kept with the room.
  ASSERT_NE(s[2].child("delay", "urn:xmpp:delay"), nullptr);
  EXPECT_EQ(s[2].child("delay", "urn:xmpp:delay")->attr_or("stamp"),
            format_timestamp(TimePoint(std::chrono::milliseconds(subject_set_ms))));
  // The occupant id is stable across the restart (the salt is persisted).
  send("<message type='groupchat' id='m2' from='" + kBob + "' to='" + room("keep") +
       "'><body>again</body></message>");
  take();
  EXPECT_EQ(archive.rows.back().occupant_id.empty(), false);
}

TEST_F(ServiceTest, OccupantIdSurvivesARestart) {
  create("keep", {{"muc#roomconfig_persistentroom", "1"}});
  send("<message type='groupchat' id='m1' from='" + kAlice + "' to='" + room("keep") +
       "'><body>one</body></message>");
  take();
  const std::string before = archive.rows.back().occupant_id;
  service = make_service();
  ASSERT_TRUE(service->load());
  join(kAlice, room("keep") + "/Alice");
  send("<message type='groupchat' id='m2' from='" + kAlice + "' to='" + room("keep") +
       "'><body>two</body></message>");
  take();
  EXPECT_EQ(archive.rows.back().occupant_id, before);
}

TEST_F(ServiceTest, ShutdownTellsEveryOccupantWith332) {
  create("r", {{"muc#roomconfig_persistentroom", "1"}});
  join(kBob, room("r") + "/Bob");
  service->shutdown();
  auto s = take();
  ASSERT_EQ(s.size(), 2u);
  for (const auto& p : s) {
    EXPECT_EQ(p.attr_or("type"), "unavailable");
    EXPECT_EQ(status_codes(p), (std::vector<int>{110, 332}));
  }
  EXPECT_TRUE(room_store.rows.at(room_jid(room("r"))).persistent);  // the room itself stays
}

// The example configuration local-stack.sh starts from stays valid as keys are added.
TEST(ConfigTest, ShippedExampleParses) {
  std::ifstream in(std::string(CONCLAVE_SOURCE_DIR) + "/deploy/conclave.conf");
  ASSERT_TRUE(in.good());
  std::stringstream text;
  text << in.rdbuf();
  auto c = parse_config(text.str());
  ASSERT_TRUE(c) << c.error().what();
  EXPECT_EQ(c->domain, "mls.localhost");
  EXPECT_EQ(c->mls.max_tree_leaves, 16384u);
}

TEST(ConfigTest, DefaultsAndRequiredKeys) {
  auto c = parse_config(
      "[component]\ndomain = mls.example.org\nsecret = s\n[database]\nurl = postgresql:///x\n");
  ASSERT_TRUE(c) << c.error().what();
  EXPECT_EQ(c->server_host, "127.0.0.1");
  EXPECT_EQ(c->server_port, 5347);
  EXPECT_EQ(c->max_history, 50u);
  EXPECT_EQ(c->log_level, LogLevel::info);
  EXPECT_EQ(c->mls.room_requests_per_minute, 600);
  auto limited = parse_config(
      "[component]\ndomain = mls.example.org\nsecret = s\n[database]\nurl = postgresql:///x\n"
      "[mls]\nroom_requests_per_minute = 0\n");
  ASSERT_TRUE(limited) << limited.error().what();
  EXPECT_EQ(limited->mls.room_requests_per_minute, 0);
  EXPECT_EQ(c->mls.max_tree_leaves, 16384u);
  auto narrow = parse_config(
      "[component]\ndomain = mls.example.org\nsecret = s\n[database]\nurl = postgresql:///x\n"
      "[mls]\nmax_tree_leaves = 1024\n");
  ASSERT_TRUE(narrow) << narrow.error().what();
  EXPECT_EQ(narrow->mls.max_tree_leaves, 1024u);
  EXPECT_FALSE(parse_config("[mls]\nmax_tree_leaves = 1\n"));
  EXPECT_FALSE(parse_config("[mls]\nmax_tree_leaves = 1048577\n"));
  EXPECT_EQ(c->voice_request_interval, std::chrono::seconds(60));
  auto voice = parse_config(
      "[component]\ndomain = mls.example.org\nsecret = s\n[database]\nurl = postgresql:///x\n"
      "[limits]\nvoice_request_interval = 300\n");
  ASSERT_TRUE(voice) << voice.error().what();
  EXPECT_EQ(voice->voice_request_interval, std::chrono::seconds(300));
  EXPECT_FALSE(parse_config("[limits]\nvoice_request_interval = 86401\n"));
  auto no_secret = parse_config("[component]\ndomain = a.b\n[database]\nurl = x\n");
  ASSERT_FALSE(no_secret);
  EXPECT_NE(no_secret.error().what().find("secret"), std::string::npos);
}

TEST(ConfigTest, UnknownKeysAndBadValuesAreErrorsWithLineNumbers) {
  auto typo = parse_config("[component]\ndomian = a.b\n");
  ASSERT_FALSE(typo);
  EXPECT_NE(typo.error().what().find("line 2"), std::string::npos);
  EXPECT_FALSE(parse_config("[server]\nport = 70000\n"));
  EXPECT_FALSE(parse_config("[log]\nlevel = loud\n"));
  EXPECT_FALSE(parse_config("[service]\nadmins = a@b/res\n"));
}

TEST(ConfigTest, AdminsAreNormalisedBareJids) {
  auto c = parse_config(
      "# comment\n[component]\ndomain = mls.example.org\nsecret = s\n[database]\nurl = x\n"
      "[service]\nadmins = Root@Example.org, ops@example.org\n");
  ASSERT_TRUE(c) << c.error().what();
  EXPECT_EQ(c->admins, (std::set<std::string>{"root@example.org", "ops@example.org"}));
}

TEST(TimestampTest, RoundTripAndOffsets) {
  const TimePoint t{std::chrono::milliseconds(1'700'000'000'123)};
  EXPECT_EQ(format_timestamp(t), "2023-11-14T22:13:20.123Z");
  EXPECT_EQ(parse_timestamp(format_timestamp(t)), t);
  EXPECT_EQ(parse_timestamp("2023-11-14T23:13:20.123+01:00"), t);
  EXPECT_FALSE(parse_timestamp("2023-11-14 22:13:20Z"));
  EXPECT_FALSE(parse_timestamp("2023-11-14T22:13:20"));
}

// XEP-0082 fields are digits in range; sscanf-style signs and spaces are not digits.
TEST(TimestampTest, RejectsFieldsOutOfRangeOrNotDigits) {
  for (const char* bad : {"2023-13-14T22:13:20Z", "2023-00-14T22:13:20Z", "2023-11-32T22:13:20Z",
                          "2023-11-14T24:13:20Z", "2023-11-14T22:60:20Z", "2023-11-14T22:13:61Z",
                          "+023-11-14T22:13:20Z", "2023-+1-14T22:13:20Z", "2023-11-14T 2:13:20Z",
                          "2023-11-14T22:13:20+24:00", "2023-11-14T22:13:20+01:60",
                          "2023-11-14T22:13:20+1:00", "2023-11-14T22:13:20.Z", ""}) {
    EXPECT_FALSE(parse_timestamp(bad)) << bad;
  }
}

// Dates a TimePoint cannot hold (it counts nanoseconds: years 1678 to 2261) clamp instead of
// overflowing (found by room_service_fuzz: a MAM start of 6965-08-07).
TEST(TimestampTest, FarDatesClampToTheRepresentableRange) {
  auto late = parse_timestamp("6965-08-07T00:00:00Z");
  ASSERT_TRUE(late);
  EXPECT_GT(*late, *parse_timestamp("2261-01-01T00:00:00Z"));
  EXPECT_EQ(*late, *parse_timestamp("9999-12-31T23:59:59Z"));
  auto early = parse_timestamp("0001-01-01T00:00:00Z");
  ASSERT_TRUE(early);
  EXPECT_LT(*early, *parse_timestamp("1679-01-01T00:00:00Z"));
  EXPECT_EQ(parse_timestamp("1900-01-01T00:00:00Z")->time_since_epoch(),
            std::chrono::seconds(-2208988800LL));
}

}  // namespace
}  // namespace conclave::component::testing

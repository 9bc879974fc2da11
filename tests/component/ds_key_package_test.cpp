// Key package directory (docs/protocol.md §6.2-§6.4, §6.13): upload checks (KP-1..KP-8),
// all-or-nothing, limits, claims (one package per device), deletion, the device list, rate
// limits, and the external-sender IQ.
#include <gtest/gtest.h>

#include "component/ds/key_package_check.h"
#include "ds_fixture.h"
#include "mls/group/welcome_crypto.h"

namespace conclave::component::testing {
namespace {

class KeyPackageTest : public DsTest {
 protected:
  // kp: a package of `who`'s device `device` (one upload names one device, KP-8).
  static mls::KeyPackageBundle kp(const std::string& who, const std::string& device = "phone") {
    return testing::bundle(who, suite1(), kWeek, device);
  }
  static std::string kp_b64(const mls::KeyPackageBundle& b) { return b64_message(b.key_package); }

  xmpp::Element upload(const std::vector<std::string>& items, const std::string& from = kBob,
                       const std::string& last_resort = "") {
    std::string x = "<key-packages xmlns='urn:xmpp:mls:0'>";
    for (const auto& i : items) x += "<key-package>" + i + "</key-package>";
    if (!last_resort.empty()) {
      x += "<key-package last-resort='true'>" + last_resort + "</key-package>";
    }
    return iq(from, kService, "set", x + "</key-packages>");
  }
  std::string count(const std::string& from = kBob) {
    auto r = iq(from, kService, "get", "<key-packages xmlns='urn:xmpp:mls:0'/>");
    const auto* k = r.child("key-packages", "urn:xmpp:mls:0");
    return k == nullptr
               ? "error"
               : std::string(k->attr_or("count")) + "/" + std::string(k->attr_or("last-resort"));
  }
  xmpp::Element claim(const std::string& jid, const std::string& from = kAlice) {
    return iq(from, kService, "get", "<claim xmlns='urn:xmpp:mls:0' jid='" + jid + "'/>");
  }
  // claimed: "device:base64" of each package of a claim answer, in order.
  static std::vector<std::string> claimed(const xmpp::Element& reply) {
    std::vector<std::string> out;
    const auto* k = reply.child("key-packages", "urn:xmpp:mls:0");
    if (k == nullptr) return out;
    for (const auto* item : k->children_named("key-package", "urn:xmpp:mls:0")) {
      out.push_back(std::string(item->attr_or("device")) + ":" + item->text());
    }
    return out;
  }
  static std::string first(const xmpp::Element& reply) {
    auto all = claimed(reply);
    return all.empty() ? "" : all.front().substr(all.front().find(':') + 1);
  }
};

TEST_F(KeyPackageTest, UploadCountAndClaim) {
  auto a = kp("bob@example.org"), b = kp("bob@example.org");
  auto lr = kp("bob@example.org");
  auto r = upload({kp_b64(a), kp_b64(b)}, kBob, kp_b64(lr));
  ASSERT_EQ(r.attr_or("type"), "result");
  EXPECT_EQ(r.child("key-packages", "urn:xmpp:mls:0")->attr_or("stored"), "3");
  EXPECT_EQ(count(), "2/true");
  auto c1 = claim("bob@example.org");
  auto c2 = claim("bob@example.org");
  auto c3 = claim("bob@example.org");
  ASSERT_EQ(c1.attr_or("type"), "result");
  EXPECT_EQ(c1.child("key-packages", "urn:xmpp:mls:0")->attr_or("jid"), "bob@example.org");
  const std::string k1 = first(c1);
  const std::string k2 = first(c2);
  const std::string k3 = first(c3);
  EXPECT_EQ(k1, kp_b64(a));  // oldest first, each one-time package once
  EXPECT_EQ(k2, kp_b64(b));
  EXPECT_EQ(k3, kp_b64(lr));  // then the last-resort one, which is kept
  EXPECT_EQ(count(), "0/true");
  EXPECT_EQ(first(claim("bob@example.org")), kp_b64(lr));
}

TEST_F(KeyPackageTest, ClaimReturnsOnePackagePerDevice) {
  auto p1 = kp("bob@example.org", "phone"), p2 = kp("bob@example.org", "phone");
  auto d_lr = kp("bob@example.org", "desktop");
  ASSERT_EQ(upload({kp_b64(p1), kp_b64(p2)}).attr_or("type"), "result");
  ASSERT_EQ(upload({}, kBob, kp_b64(d_lr)).attr_or("type"), "result");
  // Each device counts its own stock (it replenishes it alone).
  auto count_of = [&](const std::string& device) {
    auto r =
        iq(kBob, kService, "get", "<key-packages xmlns='urn:xmpp:mls:0' device='" + device + "'/>");
    const auto* k = r.child("key-packages", "urn:xmpp:mls:0");
    return k == nullptr
               ? "error:" + error_condition(r)
               : std::string(k->attr_or("count")) + "/" + std::string(k->attr_or("last-resort"));
  };
  EXPECT_EQ(count_of("phone"), "2/false");
  EXPECT_EQ(count_of("desktop"), "0/true");
  EXPECT_EQ(count_of("tv"), "0/false");
  EXPECT_EQ(count_of("not a device"), "error:bad-request");
  EXPECT_EQ(count(), "2/true");
  EXPECT_EQ(claimed(claim("bob@example.org")),
            (std::vector<std::string>{"desktop:" + kp_b64(d_lr), "phone:" + kp_b64(p1)}));
  EXPECT_EQ(claimed(claim("bob@example.org")),
            (std::vector<std::string>{"desktop:" + kp_b64(d_lr), "phone:" + kp_b64(p2)}));
  EXPECT_EQ(claimed(claim("bob@example.org")),
            (std::vector<std::string>{"desktop:" + kp_b64(d_lr)}));
}

TEST_F(KeyPackageTest, PackageWithoutDeviceRefused) {  // KP-7
  auto keys = suite1().generate_signature_key_pair();
  auto b =
      mls::make_key_package(suite1(), credential("bob@example.org"), std::move(keys.private_key));
  ASSERT_TRUE(b.has_value());
  auto r = upload({kp_b64(*b)});
  EXPECT_EQ(error_condition(r), "bad-request");
  EXPECT_EQ(mls_error(r, "invalid-key-package"), "present");
  auto bad = testing::bundle("bob@example.org", suite1(), kWeek, "no spaces");
  EXPECT_EQ(error_condition(upload({kp_b64(bad)})), "bad-request");
  EXPECT_EQ(count(), "0/false");
}

TEST_F(KeyPackageTest, OneUploadNamesOneDevice) {  // KP-8
  auto r = upload({kp_b64(kp("bob@example.org", "phone")), kp_b64(kp("bob@example.org", "pc"))});
  EXPECT_EQ(error_condition(r), "bad-request");
  EXPECT_EQ(count(), "0/false");
}

TEST_F(KeyPackageTest, EachDeviceKeepsItsOwnLastResortPackage) {
  auto a = kp("bob@example.org", "phone"), b = kp("bob@example.org", "pc");
  ASSERT_EQ(upload({}, kBob, kp_b64(a)).attr_or("type"), "result");
  ASSERT_EQ(upload({}, kBob, kp_b64(b)).attr_or("type"), "result");
  EXPECT_EQ(claimed(claim("bob@example.org")).size(), 2u);
}

TEST_F(KeyPackageTest, DeleteOwnPackagesByRefAndByDevice) {
  auto a = kp("bob@example.org", "phone"), b = kp("bob@example.org", "phone");
  auto c = kp("bob@example.org", "pc");
  ASSERT_EQ(upload({kp_b64(a), kp_b64(b)}).attr_or("type"), "result");
  ASSERT_EQ(upload({kp_b64(c)}).attr_or("type"), "result");
  const std::string ref_a = b64(mls::key_package_ref(suite1(), a.key_package));
  // Someone else's request deletes nothing of bob's.
  auto other = iq(
      kCarol, kService, "set",
      "<delete-key-packages xmlns='urn:xmpp:mls:0'><ref>" + ref_a + "</ref></delete-key-packages>");
  EXPECT_EQ(other.child("delete-key-packages", "urn:xmpp:mls:0")->attr_or("deleted"), "0");
  auto r = iq(
      kBob, kService, "set",
      "<delete-key-packages xmlns='urn:xmpp:mls:0'><ref>" + ref_a + "</ref></delete-key-packages>");
  EXPECT_EQ(r.child("delete-key-packages", "urn:xmpp:mls:0")->attr_or("deleted"), "1");
  EXPECT_EQ(count(), "2/false");
  r = iq(kBob, kService, "set", "<delete-key-packages xmlns='urn:xmpp:mls:0' device='phone'/>");
  EXPECT_EQ(r.child("delete-key-packages", "urn:xmpp:mls:0")->attr_or("deleted"), "1");
  EXPECT_EQ(claimed(claim("bob@example.org")), (std::vector<std::string>{"pc:" + kp_b64(c)}));
  EXPECT_EQ(
      error_condition(iq(kBob, kService, "set", "<delete-key-packages xmlns='urn:xmpp:mls:0'/>")),
      "bad-request");
  EXPECT_EQ(error_condition(iq(kBob, kService, "set",
                               "<delete-key-packages xmlns='urn:xmpp:mls:0'><ref>!!</ref>"
                               "</delete-key-packages>")),
            "bad-request");
}

TEST_F(KeyPackageTest, DeviceListAndRetire) {
  ASSERT_EQ(upload({kp_b64(kp("bob@example.org", "phone"))}).attr_or("type"), "result");
  ASSERT_EQ(upload({}, kBob, kp_b64(kp("bob@example.org", "pc"))).attr_or("type"), "result");
  auto list = [&](const std::string& from) {
    std::string text;
    auto r = iq(from, kService, "get", "<devices xmlns='urn:xmpp:mls:0'/>");
    for (const auto* d :
         r.child("devices", "urn:xmpp:mls:0")->children_named("device", "urn:xmpp:mls:0")) {
      text += std::string(d->attr_or("id")) + "=" + std::string(d->attr_or("count")) + "/" +
              std::string(d->attr_or("last-resort")) + " ";
    }
    return text;
  };
  EXPECT_EQ(list(kBob), "pc=0/true phone=1/false ");
  EXPECT_EQ(list(kCarol), "");  // only one's own devices
  auto r = iq(kBob, kService, "set", "<retire-device xmlns='urn:xmpp:mls:0' id='phone'/>");
  EXPECT_EQ(r.attr_or("type"), "result");
  EXPECT_EQ(list(kBob), "pc=0/true ");
  EXPECT_EQ(claimed(claim("bob@example.org")).size(), 1u);  // the phone's package is gone
  EXPECT_EQ(error_condition(
                iq(kBob, kService, "set", "<retire-device xmlns='urn:xmpp:mls:0' id='phone'/>")),
            "item-not-found");
  EXPECT_EQ(error_condition(
                iq(kBob, kService, "set", "<retire-device xmlns='urn:xmpp:mls:0' id='a b'/>")),
            "bad-request");
}

TEST_F(KeyPackageTest, ClaimWithNothingLeftIsItemNotFound) {
  EXPECT_EQ(error_condition(claim("nobody@example.org")), "item-not-found");
  EXPECT_EQ(error_condition(claim("not a jid@@")), "jid-malformed");
}

TEST_F(KeyPackageTest, ForeignIdentityRefusedAndNothingStored) {
  auto good = bundle("bob@example.org"), foreign = bundle("alice@example.org");
  auto r = upload({kp_b64(good), kp_b64(foreign)});
  EXPECT_EQ(error_condition(r), "bad-request");
  EXPECT_EQ(mls_error(r, "invalid-key-package"), "present");
  EXPECT_EQ(count(), "0/false");  // all or nothing
}

TEST_F(KeyPackageTest, IdentityMustBeTheNormalisedBareJid) {
  auto upper = bundle("Bob@example.org");  // the service normalises the sender to bob@
  EXPECT_EQ(error_condition(upload({kp_b64(upper)})), "bad-request");
  EXPECT_EQ(count(), "0/false");
}

TEST_F(KeyPackageTest, MalformedPayloadsRefused) {
  auto good = bundle("bob@example.org");
  mls::MlsMessage m;
  m.message = good.key_package;
  mls::Bytes trailing = mls::encode(m);
  trailing.push_back(0);
  for (const std::string& bad :
       {std::string("not base64!"), std::string(""), b64(trailing), b64_message(mls::Welcome{})}) {
    auto r = upload({bad});
    EXPECT_EQ(error_condition(r), "bad-request") << bad;
    EXPECT_EQ(mls_error(r, "invalid-key-package"), "present") << bad;
  }
  EXPECT_EQ(count(), "0/false");
}

TEST_F(KeyPackageTest, BadSignatureRefused) {
  auto b = bundle("bob@example.org");
  b.key_package.signature[0] ^= 1;
  EXPECT_EQ(error_condition(upload({kp_b64(b)})), "bad-request");
  EXPECT_EQ(count(), "0/false");
}

TEST_F(KeyPackageTest, ExpiredLifetimeRefused) {
  // The fixture's clock is 1.7e9 s; this package expired at 1e9 s (its leaf signature covers it).
  auto b = bundle("bob@example.org", suite1(), {0, 1'000'000'000});
  EXPECT_EQ(error_condition(upload({kp_b64(b)})), "bad-request");
  EXPECT_EQ(count(), "0/false");
}

// KP-9 (RFC 9420 §7.2, §16.8): not_after at most mls.max_key_package_lifetime (default 91
// days) after the upload. The reference client's 7 days pass; a year is refused with
// <bad-request/> + <invalid-key-package/> and a text naming the limit, and the upload stores
// nothing, the packages beside it included.
TEST_F(KeyPackageTest, LifetimeBeyondTheServiceMaximumRefused) {
  constexpr std::uint64_t kDay = 86400;
  ASSERT_EQ(ds_config.max_key_package_lifetime_days, 91u);
  auto year =
      bundle("bob@example.org", suite1(), {kNowSeconds - 3600, kNowSeconds + 365 * kDay}, "phone");
  auto r = upload({kp_b64(kp("bob@example.org")), kp_b64(year)});
  EXPECT_EQ(error_condition(r), "bad-request");
  EXPECT_EQ(mls_error(r, "invalid-key-package"), "present");
  auto err = xmpp::parse_stanza_error(r);
  ASSERT_TRUE(err.has_value());
  EXPECT_NE(err->text.find("lifetime too long"), std::string::npos) << err->text;
  EXPECT_NE(err->text.find("91 days"), std::string::npos) << err->text;
  EXPECT_EQ(count(), "0/false");
  // The boundary: exactly 91 days after now passes, a second more does not.
  auto edge = bundle("bob@example.org", suite1(), {0, kNowSeconds + 91 * kDay}, "phone");
  auto over = bundle("bob@example.org", suite1(), {0, kNowSeconds + 91 * kDay + 1}, "phone");
  EXPECT_EQ(error_condition(upload({kp_b64(over)})), "bad-request");
  EXPECT_EQ(upload({kp_b64(edge)}).attr_or("type"), "result");
  // The reference client's lifetime (kWeek: 7 days) passes, and so does OpenMLS's default
  // (84 days, starting an hour in the past).
  EXPECT_EQ(upload({kp_b64(kp("bob@example.org"))}).attr_or("type"), "result");
  auto openmls_default =
      bundle("bob@example.org", suite1(), {kNowSeconds - 3600, kNowSeconds + 84 * kDay}, "phone");
  EXPECT_EQ(upload({kp_b64(openmls_default)}).attr_or("type"), "result");
  EXPECT_EQ(count(), "3/false");
}

// KP-9 bounds last-resort packages too: they are claimed again and again, for their whole life.
TEST_F(KeyPackageTest, LastResortLifetimeIsBoundedToo) {
  auto year = bundle("bob@example.org", suite1(), {0, kNowSeconds + 365 * 86400}, "phone");
  auto r = upload({kp_b64(kp("bob@example.org"))}, kBob, kp_b64(year));
  EXPECT_EQ(error_condition(r), "bad-request");
  EXPECT_EQ(mls_error(r, "invalid-key-package"), "present");
  EXPECT_EQ(count(), "0/false");
}

// mls.max_key_package_lifetime set lower than the client's lifetime refuses its packages.
TEST_F(KeyPackageTest, TheLifetimeBoundIsConfigurable) {
  ds_config.max_key_package_lifetime_days = 1;
  rebuild();
  auto r = upload({kp_b64(kp("bob@example.org"))});  // 7 days
  EXPECT_EQ(error_condition(r), "bad-request");
  EXPECT_NE(xmpp::parse_stanza_error(r)->text.find("1 day after"), std::string::npos);
  auto day = bundle("bob@example.org", suite1(), {0, kNowSeconds + 86400}, "phone");
  EXPECT_EQ(upload({kp_b64(day)}).attr_or("type"), "result");
  EXPECT_EQ(count(), "1/false");
}

// check_key_package alone (pure): the bound is in seconds, counted from `now`.
TEST(KeyPackageCheck, MaxLifetimeCountsFromNow) {
  auto b = bundle("bob@example.org", suite1(), {0, kNowSeconds + 100}, "phone");
  const std::string text = b64_message(b.key_package);
  EXPECT_TRUE(ds::check_key_package(text, "bob@example.org", kNowSeconds, false, 100));
  EXPECT_FALSE(ds::check_key_package(text, "bob@example.org", kNowSeconds, false, 99));
  EXPECT_TRUE(ds::check_key_package(text, "bob@example.org", kNowSeconds + 1, false, 99));
  EXPECT_FALSE(ds::check_key_package(text, "bob@example.org", kNowSeconds, true, 99));
}

TEST_F(KeyPackageTest, OtherCipherSuiteNotImplemented) {
  auto b = bundle("bob@example.org", **mls::CipherSuite::get(std::uint16_t{2}));
  EXPECT_EQ(error_condition(upload({kp_b64(b)})), "feature-not-implemented");
  EXPECT_EQ(count(), "0/false");
}

TEST_F(KeyPackageTest, TwoLastResortPackagesRefused) {
  auto a = kp("bob@example.org"), b = kp("bob@example.org");
  auto r = iq(kBob, kService, "set",
              "<key-packages xmlns='urn:xmpp:mls:0'><key-package last-resort='true'>" + kp_b64(a) +
                  "</key-package><key-package last-resort='true'>" + kp_b64(b) +
                  "</key-package></key-packages>");
  EXPECT_EQ(error_condition(r), "bad-request");
  EXPECT_EQ(count(), "0/false");
}

TEST_F(KeyPackageTest, LimitPerOwnerIsResourceConstraint) {
  ds_config.max_key_packages = 2;
  rebuild();
  auto a = kp("bob@example.org"), b = kp("bob@example.org"), c = kp("bob@example.org");
  ASSERT_EQ(upload({kp_b64(a), kp_b64(b)}).attr_or("type"), "result");
  EXPECT_EQ(error_condition(upload({kp_b64(c)})), "resource-constraint");
  EXPECT_EQ(count(), "2/false");
}

TEST_F(KeyPackageTest, DuplicateUploadIsConflict) {
  auto a = bundle("bob@example.org");
  ASSERT_EQ(upload({kp_b64(a)}).attr_or("type"), "result");
  EXPECT_EQ(error_condition(upload({kp_b64(a)})), "conflict");
  EXPECT_EQ(count(), "1/false");
}

TEST_F(KeyPackageTest, UploadFloodIsRateLimited) {
  ds_config.uploads_per_minute = 1;  // burst of 2
  rebuild();
  ASSERT_EQ(upload({kp_b64(bundle("bob@example.org"))}).attr_or("type"), "result");
  ASSERT_EQ(upload({kp_b64(bundle("bob@example.org"))}).attr_or("type"), "result");
  EXPECT_EQ(error_condition(upload({kp_b64(bundle("bob@example.org"))})), "policy-violation");
  EXPECT_EQ(count(), "2/false");
  // Another user is not affected; and a minute later bob may upload again.
  EXPECT_EQ(upload({kp_b64(bundle("carol@example.org"))}, kCarol).attr_or("type"), "result");
  clock_ms += 60'000;
  EXPECT_EQ(upload({kp_b64(bundle("bob@example.org"))}).attr_or("type"), "result");
}

TEST_F(KeyPackageTest, ClaimFloodIsRateLimitedPerClaimerAndPerTarget) {
  ds_config.claims_per_minute = 1;  // burst of 2
  rebuild();
  for (int i = 0; i < 4; ++i) upload({kp_b64(kp("bob@example.org"))});
  EXPECT_EQ(claim("bob@example.org", kAlice).attr_or("type"), "result");
  EXPECT_EQ(claim("bob@example.org", kAlice).attr_or("type"), "result");
  EXPECT_EQ(error_condition(claim("bob@example.org", kAlice)), "policy-violation");
  // A second claimer may not drain bob either: bob's own bucket is empty now.
  EXPECT_EQ(error_condition(claim("bob@example.org", kCarol)), "policy-violation");
  EXPECT_EQ(count(), "2/false");
}

TEST_F(KeyPackageTest, ExternalSenderIqAnswersTheServiceEntry) {
  auto r = iq(kAlice, kService, "get", "<external-sender xmlns='urn:xmpp:mls:0'/>");
  ASSERT_EQ(r.attr_or("type"), "result");
  auto bytes = base64_decode(r.child("external-sender", "urn:xmpp:mls:0")->text());
  ASSERT_TRUE(bytes.has_value());
  auto entry = mls::decode<mls::ExternalSenderEntry>(*bytes);
  ASSERT_TRUE(entry.has_value());
  EXPECT_EQ(*entry, ds->identity().entry());
  const auto& basic = std::get<mls::BasicCredential>(entry->credential.value);
  EXPECT_EQ(std::string(basic.identity.begin(), basic.identity.end()), kService);
}

TEST_F(KeyPackageTest, ExternalSenderKeyPersistsAcrossRestarts) {
  const mls::ExternalSenderEntry before = ds->identity().entry();
  rebuild();
  EXPECT_EQ(ds->identity().entry(), before);
}

TEST_F(KeyPackageTest, ServiceDiscoAdvertisesTheFeature) {
  auto r = iq(kAlice, kService, "get", "<query xmlns='http://jabber.org/protocol/disco#info'/>");
  bool found = false;
  for (const auto* f : r.child("query", "http://jabber.org/protocol/disco#info")
                           ->children_named("feature", "http://jabber.org/protocol/disco#info")) {
    found = found || f->attr_or("var") == "urn:xmpp:mls:0";
  }
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace conclave::component::testing

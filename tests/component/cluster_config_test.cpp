// The [cluster] keys (component/cluster/cluster_config_keys.cpp): defaults, parsing, bounds and
// the rules between keys.
#include "component/cluster/cluster_config.h"

#include <gtest/gtest.h>

namespace conclave::component::cluster {
namespace {

using namespace std::chrono_literals;

TEST(ClusterConfig, DefaultsAreOffWithTheDocumentedTimings) {
  auto c = parse_ini("", config_keys());
  ASSERT_TRUE(c.has_value());
  EXPECT_FALSE(c->enabled);
  EXPECT_EQ(c->leases.shards, 64u);
  EXPECT_EQ(c->leases.length, 10s);
  EXPECT_EQ(c->leases.renew_every, 2s);
  EXPECT_EQ(c->leases.margin, 1s);
  EXPECT_EQ(c->poll, 1s);
  EXPECT_FALSE(check(*c).has_value());
}

TEST(ClusterConfig, KeysParseIntoTheirMembers) {
  auto c = parse_ini(
      "[cluster]\nenabled = true\ninstance = node-b\nshards = 16\nlease_ms = 3000\n"
      "renew_ms = 500\nmargin_ms = 400\npoll_ms = 200\n",
      config_keys());
  ASSERT_TRUE(c.has_value()) << c.error().what();
  EXPECT_TRUE(c->enabled);
  EXPECT_EQ(c->instance, "node-b");
  EXPECT_EQ(c->leases.shards, 16u);
  EXPECT_EQ(c->leases.length, 3000ms);
  EXPECT_EQ(c->leases.renew_every, 500ms);
  EXPECT_EQ(c->leases.margin, 400ms);
  EXPECT_EQ(c->poll, 200ms);
  EXPECT_FALSE(check(*c).has_value());
}

TEST(ClusterConfig, BadValuesAreRefusedWithTheirKey) {
  for (const char* text : {"[cluster]\nenabled = yes\n", "[cluster]\nshards = 0\n",
                           "[cluster]\nlease_ms = 10\n", "[cluster]\nrenew_ms = -1\n"}) {
    auto c = parse_ini(text, config_keys());
    ASSERT_FALSE(c.has_value()) << text;
    EXPECT_EQ(c.error().key.substr(0, 8), "cluster.") << text;
  }
}

TEST(ClusterConfig, ARenewalMustFitTwiceInTheLeaseLessItsMargin) {
  ClusterConfig c;
  c.leases.length = 10s;
  c.leases.margin = 1s;
  c.leases.renew_every = 4500ms;  // 9000 < 9000 fails
  EXPECT_TRUE(check(c).has_value());
  c.leases.renew_every = 4499ms;
  EXPECT_FALSE(check(c).has_value());
  c.leases.margin = 10s;
  EXPECT_TRUE(check(c).has_value());
}

}  // namespace
}  // namespace conclave::component::cluster

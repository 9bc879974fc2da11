#include "client/welcome_tree.h"

#include <gtest/gtest.h>

namespace conclave::client {
namespace {

TEST(WelcomeTree, AutomaticKeepsTreesUpToTheLimit) {
  EXPECT_TRUE(tree_in_welcome(WelcomeTree::automatic, 0));
  EXPECT_TRUE(tree_in_welcome(WelcomeTree::automatic, kWelcomeTreeLimit));
  EXPECT_FALSE(tree_in_welcome(WelcomeTree::automatic, kWelcomeTreeLimit + 1));
  // A 1,000-member tree (~300 KB) would not fit a 256 KiB stanza.
  EXPECT_FALSE(tree_in_welcome(WelcomeTree::automatic, 300 * 1000));
}

TEST(WelcomeTree, ForcedModesIgnoreTheSize) {
  EXPECT_TRUE(tree_in_welcome(WelcomeTree::always, 0));
  EXPECT_TRUE(tree_in_welcome(WelcomeTree::always, 10 * kWelcomeTreeLimit));
  EXPECT_FALSE(tree_in_welcome(WelcomeTree::never, 0));
  EXPECT_FALSE(tree_in_welcome(WelcomeTree::never, kWelcomeTreeLimit));
}

TEST(WelcomeTree, ParsesTheThreeNames) {
  EXPECT_EQ(parse_welcome_tree("auto"), WelcomeTree::automatic);
  EXPECT_EQ(parse_welcome_tree("always"), WelcomeTree::always);
  EXPECT_EQ(parse_welcome_tree("never"), WelcomeTree::never);
  EXPECT_EQ(parse_welcome_tree(""), std::nullopt);
  EXPECT_EQ(parse_welcome_tree("Never"), std::nullopt);
  EXPECT_EQ(parse_welcome_tree("automatic"), std::nullopt);
}

}  // namespace
}  // namespace conclave::client

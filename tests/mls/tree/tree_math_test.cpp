#include "mls/tree/tree_math.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <set>

namespace conclave::mls {
namespace {

LeafCount leaves(std::uint64_t n) { return LeafCount::create(n).value(); }

TEST(LeafCount, AcceptsPowersOfTwoUpToTheBound) {
  EXPECT_EQ(LeafCount::create(1)->value(), 1u);
  EXPECT_EQ(LeafCount::create(kMaxLeaves)->value(), kMaxLeaves);
}

TEST(LeafCount, RejectsZeroAndNonPowersOfTwo) {
  EXPECT_EQ(LeafCount::create(0).error(), Errc::invalid_tree);
  EXPECT_EQ(LeafCount::create(3).error(), Errc::invalid_tree);
  EXPECT_EQ(LeafCount::create(kMaxLeaves - 1).error(), Errc::invalid_tree);
}

TEST(LeafCount, RejectsHostileCountsBeforeArithmetic) {
  EXPECT_EQ(LeafCount::create(std::uint64_t{kMaxLeaves} * 2).error(), Errc::limit_exceeded);
  // 2^31 and 2^32 would overflow 2n - 1 in 32 bits; 2^63 overflows bit_ceil.
  EXPECT_EQ(LeafCount::create(std::uint64_t{1} << 31).error(), Errc::limit_exceeded);
  EXPECT_EQ(LeafCount::create(std::uint64_t{1} << 32).error(), Errc::limit_exceeded);
  EXPECT_EQ(LeafCount::covering(std::numeric_limits<std::uint64_t>::max()).error(),
            Errc::limit_exceeded);
  EXPECT_EQ(LeafCount::covering((std::uint64_t{1} << 63) + 1).error(), Errc::limit_exceeded);
  EXPECT_EQ(LeafCount::covering(kMaxLeaves + 1).error(), Errc::limit_exceeded);
}

TEST(LeafCount, CoveringRoundsUpToAFullTree) {
  EXPECT_EQ(LeafCount::covering(0)->value(), 1u);
  EXPECT_EQ(LeafCount::covering(1)->value(), 1u);
  EXPECT_EQ(LeafCount::covering(3)->value(), 4u);
  EXPECT_EQ(LeafCount::covering(5)->value(), 8u);
  EXPECT_EQ(LeafCount::covering(8)->value(), 8u);
  EXPECT_EQ(LeafCount::covering(kMaxLeaves)->value(), kMaxLeaves);
}

TEST(TreeMath, OneLeafTreeIsJustItsRoot) {
  const LeafCount n = leaves(1);
  const NodeIndex r = root(n);
  EXPECT_EQ(r, NodeIndex{0});
  EXPECT_EQ(node_width(n), 1u);
  EXPECT_TRUE(is_leaf(r));
  EXPECT_FALSE(left(r));
  EXPECT_FALSE(right(r));
  EXPECT_FALSE(parent(r, n));
  EXPECT_FALSE(sibling(r, n));
  EXPECT_TRUE(direct_path(r, n).empty());
  EXPECT_TRUE(copath(r, n).empty());
}

TEST(TreeMath, LeafAndNodeIndicesConvertExplicitly) {
  EXPECT_EQ(to_node(LeafIndex{3}), NodeIndex{6});
  EXPECT_EQ(to_leaf(NodeIndex{6}), LeafIndex{3});
  EXPECT_FALSE(to_leaf(NodeIndex{5}));
  EXPECT_TRUE(is_leaf(NodeIndex{0}));
  EXPECT_FALSE(is_leaf(NodeIndex{7}));
}

TEST(TreeMath, EightLeafTreeMatchesTheRfcFigure) {
  // RFC 9420 Appendix C: node 7 is the root, 3 and 11 its children, leaves are even.
  const LeafCount n = leaves(8);
  EXPECT_EQ(node_width(n), 15u);
  EXPECT_EQ(root(n), NodeIndex{7});
  EXPECT_EQ(level(NodeIndex{7}), 3u);
  EXPECT_EQ(left(NodeIndex{7}), NodeIndex{3});
  EXPECT_EQ(right(NodeIndex{7}), NodeIndex{11});
  EXPECT_EQ(parent(NodeIndex{10}, n), NodeIndex{9});
  EXPECT_EQ(sibling(NodeIndex{10}, n), NodeIndex{8});
  EXPECT_EQ(direct_path(NodeIndex{4}, n), (std::vector<NodeIndex>{{5}, {3}, {7}}));
  EXPECT_EQ(copath(NodeIndex{4}, n), (std::vector<NodeIndex>{{6}, {1}, {11}}));
}

TEST(TreeMath, NodesOutsideTheTreeHaveNoRelatives) {
  const LeafCount n = leaves(4);
  EXPECT_FALSE(contains(n, NodeIndex{7}));
  EXPECT_FALSE(contains(n, LeafIndex{4}));
  EXPECT_TRUE(contains(n, LeafIndex{3}));
  EXPECT_FALSE(parent(NodeIndex{7}, n));
  EXPECT_FALSE(parent(NodeIndex{8}, n));
  EXPECT_FALSE(sibling(NodeIndex{8}, n));
  EXPECT_TRUE(direct_path(NodeIndex{8}, n).empty());
  EXPECT_TRUE(copath(NodeIndex{0xFFFFFFFFu}, n).empty());
}

TEST(TreeMath, LargestTreeStaysInRange) {
  const LeafCount n = leaves(kMaxLeaves);
  EXPECT_EQ(node_width(n), 2 * kMaxLeaves - 1);
  const NodeIndex last = to_node(LeafIndex{kMaxLeaves - 1});
  const auto path = direct_path(last, n);
  ASSERT_EQ(path.size(), 20u);
  EXPECT_EQ(path.back(), root(n));
  for (NodeIndex p : path) EXPECT_TRUE(contains(n, p));
}

TEST(TreeMath, DirectPathAndCopathAgreeWithParentAndSibling) {
  for (std::uint32_t size : {1u, 2u, 4u, 16u, 64u}) {
    const LeafCount n = leaves(size);
    for (std::uint32_t i = 0; i < node_width(n); ++i) {
      const NodeIndex x{i};
      const auto dp = direct_path(x, n);
      const auto cp = copath(x, n);
      ASSERT_EQ(dp.size(), cp.size());
      NodeIndex cur = x;
      for (std::size_t j = 0; j < dp.size(); ++j) {
        EXPECT_EQ(sibling(cur, n), cp[j]);
        EXPECT_EQ(parent(cur, n), dp[j]);
        EXPECT_EQ(level(dp[j]), level(cur) + 1);
        cur = dp[j];
      }
      EXPECT_EQ(cur, root(n));
      // Every parent is the parent of both its children.
      if (auto l = left(x)) {
        EXPECT_EQ(parent(*l, n), x);
        EXPECT_EQ(parent(*right(x), n), x);
        EXPECT_EQ(sibling(*l, n), right(x));
      }
    }
  }
}

TEST(TreeMath, CommonAncestorIsLowestSharedNode) {
  const LeafCount n = leaves(16);
  for (std::uint32_t a = 0; a < node_width(n); ++a) {
    for (std::uint32_t b = 0; b < node_width(n); ++b) {
      // Reference: the lowest node on both extended direct paths.
      std::set<std::uint32_t> pa{a};
      for (NodeIndex p : direct_path(NodeIndex{a}, n)) pa.insert(p.value);
      NodeIndex expected = root(n);
      auto pb = direct_path(NodeIndex{b}, n);
      pb.insert(pb.begin(), NodeIndex{b});
      for (NodeIndex p : pb) {
        if (pa.count(p.value) != 0) {
          expected = p;
          break;
        }
      }
      EXPECT_EQ(common_ancestor(NodeIndex{a}, NodeIndex{b}), expected) << a << "," << b;
    }
  }
}

}  // namespace
}  // namespace conclave::mls

#include "mls/treesync/tree_validation.h"

#include <gtest/gtest.h>

#include "tests/mls/treesync/tree_fixture.h"

namespace conclave::mls {
namespace {

using testing::TreeFixture;

class TreeValidation : public ::testing::Test {
 protected:
  TreeValidation() : tree_(fx_.build_tree(12, 3)) {}
  LeafValidationContext ctx() const { return {fx_.group_id(), {}, std::nullopt}; }

  // with_nodes rebuilds the tree after `edit` changed its wire form.
  template <class F>
  PublicTree with_nodes(F edit) const {
    RatchetTree nodes = tree_.to_nodes();
    edit(nodes);
    return *PublicTree::from_nodes(fx_.suite(), nodes);
  }
  ParentNode& parent_at(RatchetTree& nodes, std::uint32_t x) const {
    return std::get<ParentNode>(nodes[x]->value);
  }
  LeafNode& leaf_at(RatchetTree& nodes, std::uint32_t l) const {
    return std::get<LeafNode>(nodes[2 * l]->value);
  }

  TreeFixture fx_;
  PublicTree tree_;
};

TEST_F(TreeValidation, ValidTreePasses) {
  ASSERT_FALSE(tree_.blank(NodeIndex{7}));
  EXPECT_TRUE(validate_tree(tree_, ctx()));
  EXPECT_TRUE(validate_tree(tree_, ctx(), tree_.root_hash()));
}

TEST_F(TreeValidation, TreeHashMismatchDetected) {
  Bytes wrong = to_bytes(tree_.root_hash());
  wrong[0] ^= 1;
  EXPECT_EQ(validate_tree(tree_, ctx(), wrong).error(), Errc::tree_hash_mismatch);
}

TEST_F(TreeValidation, TamperedParentHashDetected) {
  std::uint32_t parent = 0;
  for (std::uint32_t x = 1; x < tree_.node_width(); x += 2) {
    if (!tree_.blank(NodeIndex{x}) && !tree_.parent_node(NodeIndex{x})->parent_hash.empty()) {
      parent = x;
      break;
    }
  }
  ASSERT_NE(parent, 0u);
  const PublicTree bad =
      with_nodes([&](RatchetTree& n) { parent_at(n, parent).parent_hash[0] ^= 1; });
  EXPECT_EQ(verify_parent_hashes(bad).error(), Errc::parent_hash_mismatch);
  EXPECT_EQ(validate_tree(bad, ctx()).error(), Errc::parent_hash_mismatch);
}

TEST_F(TreeValidation, TamperedParentKeyDetected) {
  const PublicTree bad =
      with_nodes([&](RatchetTree& n) { parent_at(n, 7).encryption_key[0] ^= 1; });
  EXPECT_EQ(verify_parent_hashes(bad).error(), Errc::parent_hash_mismatch);
}

TEST_F(TreeValidation, InjectedParentNodeDetected) {
  // A non-blank parent that no leaf's chain reaches (an outsider-chosen key).
  std::uint32_t blank_parent = 0;
  for (std::uint32_t x = 1; x < tree_.node_width(); x += 2) {
    if (tree_.blank(NodeIndex{x})) {
      blank_parent = x;
      break;
    }
  }
  ASSERT_NE(blank_parent, 0u);
  const PublicTree bad = with_nodes([&](RatchetTree& n) {
    n[blank_parent] = Node{ParentNode{fx_.rng().bytes(32), {}, {}}};
  });
  EXPECT_EQ(verify_parent_hashes(bad).error(), Errc::parent_hash_mismatch);
}

TEST_F(TreeValidation, TamperedLeafSignatureDetected) {
  const PublicTree bad = with_nodes([&](RatchetTree& n) { leaf_at(n, 4).signature[3] ^= 1; });
  EXPECT_EQ(validate_tree(bad, ctx()).error(), Errc::bad_signature);
  // A committed leaf is signed over group_id and its index: another group's id fails.
  const LeafValidationContext other{as_bytes("other"), {}, std::nullopt};
  EXPECT_EQ(validate_tree(tree_, other).error(), Errc::bad_signature);
}

TEST_F(TreeValidation, DuplicateEncryptionKeyRejected) {
  // Leaf 1 re-signed with leaf 2's encryption key: signatures are fine, the keys collide.
  const LeafNode leaf2 = *tree_.leaf_node(LeafIndex{2});
  LeafNode leaf1 = fx_.members()[1].leaf;
  leaf1.encryption_key = leaf2.encryption_key;
  ASSERT_TRUE(sign_leaf_node(*fx_.members()[1].signer, leaf1, {}, 0));
  PublicTree bad = tree_;
  ASSERT_TRUE(bad.update(LeafIndex{1}, leaf1));
  EXPECT_EQ(verify_unique_keys(bad).error(), Errc::invalid_tree);
  EXPECT_EQ(validate_tree(bad, ctx()).error(), Errc::invalid_tree);
}

TEST_F(TreeValidation, DuplicateSignatureKeyRejected) {
  const PublicTree bad = with_nodes(
      [&](RatchetTree& n) { leaf_at(n, 5).signature_key = leaf_at(n, 4).signature_key; });
  EXPECT_EQ(verify_unique_keys(bad).error(), Errc::invalid_tree);
}

TEST_F(TreeValidation, InconsistentUnmergedLeavesRejected) {
  // Find a parent with an unmerged leaf.
  std::uint32_t p = 0;
  for (std::uint32_t x = 1; x < tree_.node_width(); x += 2) {
    if (!tree_.unmerged_leaves(NodeIndex{x}).empty()) p = x;
  }
  ASSERT_NE(p, 0u);
  const auto unsorted = with_nodes([&](RatchetTree& n) {
    auto& u = parent_at(n, p).unmerged_leaves;
    u.insert(u.begin(), u.back());  // duplicate / out of order
  });
  EXPECT_EQ(verify_unmerged_leaves(unsorted).error(), Errc::invalid_tree);
  const auto outside = with_nodes([&](RatchetTree& n) {
    parent_at(n, p).unmerged_leaves.push_back(100);  // not under the parent
  });
  EXPECT_EQ(verify_unmerged_leaves(outside).error(), Errc::invalid_tree);
  EXPECT_TRUE(verify_unmerged_leaves(tree_));
}

TEST_F(TreeValidation, LeafNodeRules) {
  LeafNode leaf = fx_.members()[1].leaf;
  const SigningKey& signer = *fx_.members()[1].signer;
  const LeafIndex at{1};
  EXPECT_TRUE(validate_leaf_node(fx_.suite(), leaf, at, ctx()));

  LeafNode no_cred = leaf;  // credential type missing from its own capabilities
  no_cred.capabilities.credentials = {CredentialType::x509};
  ASSERT_TRUE(sign_leaf_node(signer, no_cred, {}, 0));
  EXPECT_EQ(validate_leaf_node(fx_.suite(), no_cred, at, ctx()).error(), Errc::invalid_value);

  LeafNode ext = leaf;  // non-default extension not listed
  ext.extensions.push_back(Extension{0x0a0a, {}});
  ASSERT_TRUE(sign_leaf_node(signer, ext, {}, 0));
  EXPECT_EQ(validate_leaf_node(fx_.suite(), ext, at, ctx()).error(), Errc::invalid_value);
  ext.capabilities.extensions.push_back(0x0a0a);
  ASSERT_TRUE(sign_leaf_node(signer, ext, {}, 0));
  EXPECT_TRUE(validate_leaf_node(fx_.suite(), ext, at, ctx()));

  LeafNode expiring = leaf;
  expiring.source.value = KeyPackageSource{Lifetime{100, 200}};
  ASSERT_TRUE(sign_leaf_node(signer, expiring, {}, 0));
  LeafValidationContext timed = ctx();
  timed.now = 150;
  EXPECT_TRUE(validate_leaf_node(fx_.suite(), expiring, at, timed));
  timed.now = 201;
  EXPECT_EQ(validate_leaf_node(fx_.suite(), expiring, at, timed).error(), Errc::invalid_value);

  // required_capabilities: a non-default extension the leaf does not support.
  const RequiredCapabilities required{{0x0b0b}, {}, {}};
  const Extension group_ext{kRequiredCapabilitiesExtension, encode(required)};
  LeafValidationContext req = ctx();
  req.group_extensions = std::span<const Extension>(&group_ext, 1);
  EXPECT_EQ(validate_leaf_node(fx_.suite(), leaf, at, req).error(), Errc::invalid_value);
}

TEST(TreeValidationCredentials, CredentialTypeMustBeSupportedByAll) {
  // A tree without parent nodes, so re-signing leaves cannot disturb parent hashes.
  TreeFixture fx;
  PublicTree tree = fx.build_tree(3, 0);
  const LeafValidationContext ctx{fx.group_id(), {}, std::nullopt};
  auto x509_leaf = [&](std::uint32_t l) {
    LeafNode leaf = *tree.leaf_node(LeafIndex{l});
    leaf.capabilities.credentials = {CredentialType::basic, CredentialType::x509};
    return leaf;
  };
  LeafNode leaf0 = x509_leaf(0);
  leaf0.credential.value = X509Credential{{Certificate{{1, 2, 3}}}};
  ASSERT_TRUE(sign_leaf_node(*fx.members()[0].signer, leaf0, {}, 0));
  tree.set_leaf(LeafIndex{0}, leaf0);
  // Leaves 1 and 2 do not list x509.
  EXPECT_EQ(validate_tree(tree, ctx).error(), Errc::invalid_value);
  for (std::uint32_t l : {1u, 2u}) {
    LeafNode leaf = x509_leaf(l);
    ASSERT_TRUE(sign_leaf_node(*fx.members()[l].signer, leaf, {}, 0));
    tree.set_leaf(LeafIndex{l}, leaf);
  }
  EXPECT_TRUE(validate_tree(tree, ctx));
}

}  // namespace
}  // namespace conclave::mls

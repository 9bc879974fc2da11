// treekem.json (RFC 9420 §7.4-§7.6): for each update_path, every other member processes it and
// must find the given path secret at the common ancestor, the commit secret and the tree hash
// after; then the sender creates a fresh UpdatePath that every other member must process to the
// same commit secret.
#include <map>
#include <string>

#include "mls/codec/hex.h"
#include "mls/crypto/cipher_suite.h"
#include "mls/framing/commit.h"
#include "mls/treesync/public_tree.h"
#include "mls/treesync/tree_private.h"
#include "mls/treesync/tree_validation.h"
#include "mls/treesync/treekem.h"
#include "tests/vectors/kinds.h"

namespace conclave::vectors {

namespace {

using mls::Bytes;
using mls::LeafIndex;

bool same(const mls::Secret& s, mls::ByteView b) { return mls::ct_equal(s.view(), b); }

struct Member {
  mls::TreePrivate priv;
  Bytes signature_priv;
};

void check_case(const mls::CipherSuite& suite, const nlohmann::json& tc, const std::string& at,
                Report& report) {
  auto tree = mls::PublicTree::decode(suite, hex_field(tc, "ratchet_tree"));
  if (!tree) {
    report.fail(at + "ratchet_tree does not decode");
    return;
  }
  mls::GroupContext context;
  context.cipher_suite = static_cast<std::uint16_t>(suite.id());
  context.group_id = hex_field(tc, "group_id");
  context.epoch = tc.at("epoch").get<std::uint64_t>();
  context.confirmed_transcript_hash = hex_field(tc, "confirmed_transcript_hash");

  std::map<std::uint32_t, Member> members;
  for (const auto& lp : tc.at("leaves_private")) {
    const LeafIndex index{lp.at("index").get<std::uint32_t>()};
    mls::TreePrivate priv(index, mls::Secret(hex_field(lp, "encryption_priv")));
    bool ok = true;
    for (const auto& ps : lp.at("path_secrets")) {
      ok = ok && priv.set_path_secret(suite, mls::NodeIndex{ps.at("node").get<std::uint32_t>()},
                                      mls::Secret(hex_field(ps, "path_secret")))
                     .has_value();
    }
    report.expect(ok && priv.check_consistent(*tree).has_value(),
                  at + "private state of leaf " + std::to_string(index.value));
    members.emplace(index.value, Member{std::move(priv), hex_field(lp, "signature_priv")});
  }

  std::size_t p = 0;
  for (const auto& up : tc.at("update_paths")) {
    const std::string where = at + "update_path " + std::to_string(p++) + ": ";
    const LeafIndex sender{up.at("sender").get<std::uint32_t>()};
    const auto path = mls::decode<mls::UpdatePath>(hex_field(up, "update_path"));
    if (!path) {
      report.fail(where + "update_path does not decode");
      continue;
    }
    const Bytes commit_secret = hex_field(up, "commit_secret");
    const Bytes tree_hash_after = hex_field(up, "tree_hash_after");

    // The public merge alone: parent-hash valid, and the expected tree hash.
    mls::PublicTree merged = *tree;
    const auto merge = merged.merge_update_path(sender, *path);
    report.expect(merge.has_value(), where + "merge (parent hash)");
    const auto root = merged.root_hash();
    report.expect(Bytes(root.begin(), root.end()) == tree_hash_after, where + "tree_hash_after");
    report.expect(mls::verify_parent_hashes(merged).has_value(),
                  where + "parent hashes of the merged tree");

    for (const auto& [j, member] : members) {
      if (j == sender.value) continue;
      mls::PublicTree t = *tree;
      mls::TreePrivate priv = member.priv.clone();
      const auto got = mls::process_update_path(t, priv, sender, *path, context, {});
      const std::string who = where + "leaf " + std::to_string(j) + " ";
      if (!got) {
        report.fail(who + "process: " + got.error().message());
        continue;
      }
      const auto expected_ps = mls::from_hex(up.at("path_secrets")[j].get<std::string>());
      const mls::Secret* ps = priv.path_secret(got->decrypted_at);
      report.expect(expected_ps && ps != nullptr && same(*ps, *expected_ps), who + "path secret");
      report.expect(same(got->commit_secret, commit_secret), who + "commit secret");
    }

    // A fresh UpdatePath from the same sender, processed by everyone else.
    const auto sender_member = members.find(sender.value);
    const auto sender_leaf = tree->leaf_node(sender);
    if (sender_member == members.end() || !sender_leaf) {
      report.fail(where + "no private state or leaf for the sender");
      continue;
    }
    const auto signer = suite.signing_key(sender_member->second.signature_priv);
    if (!signer) {
      report.fail(where + "signature_priv does not parse");
      continue;
    }
    mls::PublicTree created_tree = *tree;
    mls::TreePrivate sender_priv = sender_member->second.priv.clone();
    const auto created =
        mls::create_update_path(created_tree, sender_priv, *sender_leaf, *signer, context, {});
    if (!created) {
      report.fail(where + "create: " + created.error().message());
      continue;
    }
    report.expect(sender_priv.check_consistent(created_tree).has_value(),
                  where + "creator's private state after create");
    for (const auto& [j, member] : members) {
      if (j == sender.value) continue;
      mls::PublicTree t = *tree;
      mls::TreePrivate priv = member.priv.clone();
      const auto got = mls::process_update_path(t, priv, sender, created->path, context, {});
      const std::string who = where + "leaf " + std::to_string(j) + " (new path) ";
      report.expect(got && same(got->commit_secret, created->commit_secret.view()),
                    who + "commit secret");
      report.expect(got && t.root_hash() == created_tree.root_hash(), who + "tree hash");
    }
  }
}

}  // namespace

void check_treekem(const nlohmann::json& file, Report& report) {
  std::size_t index = 0;
  for (const auto& tc : file) {
    const std::string at = "case " + std::to_string(index++) + ": ";
    const mls::CipherSuite* suite = case_suite(tc, at, report);
    if (suite == nullptr) continue;
    check_case(*suite, tc, at, report);
  }
}

}  // namespace conclave::vectors

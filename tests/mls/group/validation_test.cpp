// Failing-input tests for the validation ids of mls/group/key_package_validation.h and
// mls/group/proposal_validation.h.
#include <gtest/gtest.h>

#include "mls/group/key_package_validation.h"
#include "mls/group/proposal_validation.h"

namespace conclave::mls {
namespace {

const CipherSuite& suite() {
  return **CipherSuite::get(CipherSuiteId::mls_128_dhkemx25519_aes128gcm_sha256_ed25519);
}

struct Member {
  KeyPackage kp;
  KeyPair sig;
};

Capabilities caps() {
  Capabilities c;
  c.versions = {ProtocolVersion::mls10};
  c.cipher_suites = {1};
  c.credentials = {CredentialType::basic};
  return c;
}

void sign_kp(const Member& m, KeyPackage& kp) {
  auto key = suite().signing_key(m.sig.private_key.view());
  ASSERT_TRUE(sign_leaf_node(*key, kp.leaf_node, {}, 0));
  kp.signature = *key->sign_with_label("KeyPackageTBS", encode_key_package_tbs(kp));
}

Member make_member(std::string_view name) {
  Member m{{}, suite().generate_signature_key_pair()};
  KeyPackage& kp = m.kp;
  kp.cipher_suite = 1;
  kp.init_key = suite().generate_hpke_key_pair().public_key;
  kp.leaf_node.encryption_key = suite().generate_hpke_key_pair().public_key;
  kp.leaf_node.signature_key = m.sig.public_key;
  kp.leaf_node.credential.value = BasicCredential{to_bytes(as_bytes(name))};
  kp.leaf_node.capabilities = caps();
  kp.leaf_node.source.value = KeyPackageSource{Lifetime{0, ~std::uint64_t{0}}};
  sign_kp(m, kp);
  return m;
}

const LeafValidationContext kCtx{{}, {}, std::nullopt};

TEST(KeyPackageValidation, AcceptsAWellFormedKeyPackage) {
  const Member m = make_member("alice");
  auto v = validate_key_package(suite(), m.kp, kCtx);
  ASSERT_TRUE(v) << v.error().message();
  EXPECT_EQ(v->ref().size(), suite().hash_size());
}

TEST(KeyPackageValidation, Kp01WrongSuiteOrVersion) {
  Member m = make_member("alice");
  m.kp.cipher_suite = 2;
  EXPECT_FALSE(validate_key_package(suite(), m.kp, kCtx));
  Member v = make_member("bob");
  v.kp.version = static_cast<ProtocolVersion>(2);
  EXPECT_FALSE(validate_key_package(suite(), v.kp, kCtx));
}

TEST(KeyPackageValidation, Kp02LeafSourceAndLeafValidity) {
  Member m = make_member("alice");
  m.kp.leaf_node.source.value = UpdateSource{};
  sign_kp(m, m.kp);
  EXPECT_FALSE(validate_key_package(suite(), m.kp, kCtx));
  Member b = make_member("bob");
  b.kp.leaf_node.signature[0] ^= 1;  // leaf signature broken, KeyPackage re-signed
  auto key = suite().signing_key(b.sig.private_key.view());
  b.kp.signature = *key->sign_with_label("KeyPackageTBS", encode_key_package_tbs(b.kp));
  EXPECT_FALSE(validate_key_package(suite(), b.kp, kCtx));
  Member c = make_member("carol");  // expired lifetime with a clock
  c.kp.leaf_node.source.value = KeyPackageSource{Lifetime{0, 10}};
  sign_kp(c, c.kp);
  EXPECT_TRUE(validate_key_package(suite(), c.kp, kCtx));
  EXPECT_FALSE(validate_key_package(suite(), c.kp, LeafValidationContext{{}, {}, 11}));
}

TEST(KeyPackageValidation, Kp03BadSignature) {
  Member m = make_member("alice");
  m.kp.signature[3] ^= 0x40;
  EXPECT_EQ(validate_key_package(suite(), m.kp, kCtx).error(),
            make_error_code(Errc::bad_signature));
}

TEST(KeyPackageValidation, Kp04InitKeyEqualsEncryptionKey) {
  Member m = make_member("alice");
  m.kp.init_key = m.kp.leaf_node.encryption_key;
  sign_kp(m, m.kp);
  EXPECT_FALSE(validate_key_package(suite(), m.kp, kCtx));
}

TEST(KeyPackageValidation, Kp05DuplicateExtensions) {
  Member m = make_member("alice");
  m.kp.extensions = {Extension{0xff00, {}}, Extension{0xff00, {1}}};
  sign_kp(m, m.kp);
  EXPECT_FALSE(validate_key_package(suite(), m.kp, kCtx));
}

// A two-member tree (alice at 0, bob at 1) for the list rules.
struct Fixture {
  Member alice = make_member("alice");
  Member bob = make_member("bob");
  PublicTree tree = PublicTree::with_creator(suite(), alice.kp.leaf_node);
  GroupContext ctx;
  Fixture() {
    EXPECT_TRUE(tree.add(bob.kp.leaf_node));
    ctx.cipher_suite = 1;
    ctx.group_id = {1, 2, 3};
  }
  ValidationContext vc() const { return {&suite(), &ctx, &tree, std::nullopt}; }
  static Sender member(std::uint32_t l) { return Sender{MemberSender{l}}; }
  static ResolvedProposal by_value(Proposal p, std::uint32_t committer = 0) {
    return {std::move(p), member(committer), false};
  }
};

Proposal remove(std::uint32_t l) { return Proposal{Remove{l}}; }
Proposal add(const KeyPackage& kp) { return Proposal{Add{kp}}; }
Proposal psk(Bytes id) {
  return Proposal{PreSharedKey{PreSharedKeyID{ExternalPskId{std::move(id)}, Bytes(32, 7)}}};
}

TEST(CommitValidation, AcceptsAddAndRemove) {
  Fixture f;
  const Member carol = make_member("carol");
  std::vector<ResolvedProposal> list{Fixture::by_value(add(carol.kp)),
                                     Fixture::by_value(remove(1))};
  EXPECT_TRUE(validate_commit_proposals(f.vc(), list, LeafIndex{0}, true));
}

TEST(CommitValidation, Cm01UpdateByValue) {
  Fixture f;
  std::vector<ResolvedProposal> list{Fixture::by_value(Proposal{Update{f.bob.kp.leaf_node}})};
  EXPECT_FALSE(validate_commit_proposals(f.vc(), list, LeafIndex{0}, true));
}

TEST(CommitValidation, Cm02RemoveCommitter) {
  Fixture f;
  std::vector<ResolvedProposal> list{Fixture::by_value(remove(0))};
  EXPECT_FALSE(validate_commit_proposals(f.vc(), list, LeafIndex{0}, true));
}

TEST(CommitValidation, Cm03TwoRemovesOfOneLeaf) {
  Fixture f;
  std::vector<ResolvedProposal> list{Fixture::by_value(remove(1)), Fixture::by_value(remove(1))};
  EXPECT_FALSE(validate_commit_proposals(f.vc(), list, LeafIndex{0}, true));
}

TEST(CommitValidation, Cm04DuplicateAddsAndExistingMember) {
  Fixture f;
  const Member carol = make_member("carol");
  std::vector<ResolvedProposal> twice{Fixture::by_value(add(carol.kp)),
                                      Fixture::by_value(add(carol.kp))};
  EXPECT_FALSE(validate_commit_proposals(f.vc(), twice, LeafIndex{0}, false));
  std::vector<ResolvedProposal> existing{Fixture::by_value(add(f.bob.kp))};
  EXPECT_FALSE(validate_commit_proposals(f.vc(), existing, LeafIndex{0}, false));
  // Allowed when the existing member is removed by the same commit.
  std::vector<ResolvedProposal> replaced{Fixture::by_value(add(f.bob.kp)),
                                         Fixture::by_value(remove(1))};
  EXPECT_TRUE(validate_commit_proposals(f.vc(), replaced, LeafIndex{0}, true));
}

TEST(CommitValidation, Cm05DuplicatePsk) {
  Fixture f;
  std::vector<ResolvedProposal> list{Fixture::by_value(psk({1})), Fixture::by_value(psk({1}))};
  EXPECT_FALSE(validate_commit_proposals(f.vc(), list, LeafIndex{0}, false));
  std::vector<ResolvedProposal> ok{Fixture::by_value(psk({1})), Fixture::by_value(psk({2}))};
  EXPECT_TRUE(validate_commit_proposals(f.vc(), ok, LeafIndex{0}, false));
}

TEST(CommitValidation, Cm06TwoGce) {
  Fixture f;
  std::vector<ResolvedProposal> list{Fixture::by_value(Proposal{GroupContextExtensions{}}),
                                     Fixture::by_value(Proposal{GroupContextExtensions{}})};
  EXPECT_FALSE(validate_commit_proposals(f.vc(), list, LeafIndex{0}, true));
}

TEST(CommitValidation, Cm07ReInitNotAlone) {
  Fixture f;
  std::vector<ResolvedProposal> list{Fixture::by_value(Proposal{ReInit{}}),
                                     Fixture::by_value(psk({1}))};
  EXPECT_FALSE(validate_commit_proposals(f.vc(), list, LeafIndex{0}, false));
  std::vector<ResolvedProposal> alone{Fixture::by_value(Proposal{ReInit{}})};
  EXPECT_TRUE(validate_commit_proposals(f.vc(), alone, LeafIndex{0}, false));
}

TEST(CommitValidation, Cm08ExternalInitInRegularCommit) {
  Fixture f;
  std::vector<ResolvedProposal> list{Fixture::by_value(Proposal{ExternalInit{{1}}})};
  EXPECT_FALSE(validate_commit_proposals(f.vc(), list, LeafIndex{0}, true));
}

TEST(CommitValidation, Cm09ExternalCommitShape) {
  Fixture f;
  const Sender nm{NewMemberCommitSender{}};
  std::vector<ResolvedProposal> ok{{Proposal{ExternalInit{{1}}}, nm, false}};
  EXPECT_TRUE(validate_commit_proposals(f.vc(), ok, std::nullopt, true));
  std::vector<ResolvedProposal> none{{psk({1}), nm, false}};
  EXPECT_FALSE(validate_commit_proposals(f.vc(), none, std::nullopt, true));
  const Member carol = make_member("carol");
  std::vector<ResolvedProposal> with_add{{Proposal{ExternalInit{{1}}}, nm, false},
                                         {add(carol.kp), nm, false}};
  EXPECT_FALSE(validate_commit_proposals(f.vc(), with_add, std::nullopt, true));
}

TEST(CommitValidation, Cm10PathRequired) {
  Fixture f;
  EXPECT_FALSE(validate_commit_proposals(f.vc(), {}, LeafIndex{0}, false));
  std::vector<ResolvedProposal> list{Fixture::by_value(remove(1))};
  EXPECT_FALSE(validate_commit_proposals(f.vc(), list, LeafIndex{0}, false));
}

TEST(ProposalValidation, Pr04RemoveOfBlankOrOutside) {
  Fixture f;
  std::vector<ResolvedProposal> list{Fixture::by_value(remove(7))};
  EXPECT_FALSE(validate_commit_proposals(f.vc(), list, LeafIndex{0}, true));
}

TEST(ProposalValidation, Pr05PskNonceLength) {
  Fixture f;
  Proposal p{PreSharedKey{PreSharedKeyID{ExternalPskId{{1}}, Bytes(5, 0)}}};
  EXPECT_FALSE(validate_proposal(f.vc(), p, Fixture::member(1), {}, true));
}

TEST(ProposalValidation, Pr07GceUnsupportedExtension) {
  Fixture f;
  Proposal p{GroupContextExtensions{{Extension{0xff01, {}}}}};
  EXPECT_FALSE(validate_proposal(f.vc(), p, Fixture::member(1), {}, true));
}

TEST(ProposalSender, Ps01To04) {
  Fixture f;
  EXPECT_FALSE(validate_proposal_sender(f.vc(), remove(1), Sender{ExternalSender{0}}));  // PS-01
  EXPECT_FALSE(validate_proposal_sender(f.vc(), remove(1), Sender{NewMemberProposalSender{}}));
  EXPECT_FALSE(validate_proposal_sender(f.vc(), Proposal{ExternalInit{}}, Fixture::member(1)));
  EXPECT_TRUE(validate_proposal_sender(f.vc(), remove(1), Fixture::member(1)));
  EXPECT_FALSE(validate_proposal_sender(f.vc(), remove(1), Fixture::member(5)));
}

}  // namespace
}  // namespace conclave::mls

#include "component/ds/create_check.h"

#include "base/base64.h"
#include "component/ds/identity.h"
#include "component/ds/mls_ns.h"
#include "mls/crypto/commit_chain.h"
#include "mls/group/extensions.h"

namespace conclave::component::ds {

using xmpp::StanzaCondition;

DsResult<CheckedCreate> check_create(const RoomJid& room, std::string_view gi_text,
                                     std::optional<std::string_view> tree_text,
                                     const std::string& sender, const ServiceIdentity& service,
                                     std::uint64_t now_seconds, std::uint32_t max_tree_leaves) {
  if (gi_text.size() > kMaxPayloadChars || (tree_text && tree_text->size() > kMaxPayloadChars)) {
    return refuse(invalid_commit("too large"));
  }
  auto gi_bytes = base64_decode(gi_text);  // CR-1
  if (!gi_bytes) return refuse(invalid_commit("GroupInfo: not base64"));
  auto msg = mls::decode<mls::MlsMessage>(*gi_bytes);
  if (!msg) return refuse(invalid_commit("GroupInfo: malformed: " + reason_of(msg.error())));
  const auto* gi = std::get_if<mls::GroupInfo>(&msg->message);
  if (gi == nullptr) return refuse(invalid_commit("not an MLSMessage GroupInfo"));
  const mls::GroupContext& gc = gi->group_context;
  if (gc.cipher_suite != kSuite) {
    return refuse(StanzaCondition::feature_not_implemented, "Only cipher suite 0x0001");
  }
  if (gc.epoch != 0) return refuse(invalid_commit("a new group starts at epoch 0"));
  std::optional<mls::RatchetTree> tree;  // CR-2
  if (tree_text) {
    auto bytes = base64_decode(*tree_text);
    if (!bytes) return refuse(invalid_commit("ratchet tree: not base64"));
    auto nodes = mls::decode<mls::RatchetTree>(*bytes);
    if (!nodes) return refuse(invalid_commit("ratchet tree: " + reason_of(nodes.error())));
    tree = std::move(*nodes);
    // CR-6 before the whole-tree validation: a ratchet tree of N nodes is (N + 1) / 2 leaves
    // wide once padded (RFC 9420 §12.4.3.3).
    if ((tree->size() + 1) / 2 > max_tree_leaves) return refuse(tree_too_wide(max_tree_leaves));
  }
  const mls::CipherSuite& suite = **mls::CipherSuite::get(kSuite);
  auto view = mls::PublicGroup::from_group_info(suite, *gi, tree, now_seconds);  // CR-3
  if (!view) return refuse(invalid_commit(reason_of(view.error())));
  if (view->tree().leaf_count().value() > max_tree_leaves) {  // CR-6, embedded tree
    return refuse(tree_too_wide(max_tree_leaves));
  }
  const auto leaves = view->tree().non_blank_leaves();  // CR-4
  if (leaves.size() != 1 || leaves.front().value != gi->signer) {
    return refuse(invalid_commit("a new group has exactly one member, its signer"));
  }
  if (leaf_identity(view->tree(), leaves.front()) != sender) {
    return refuse(StanzaCondition::forbidden, "The member's identity is not the sender's");
  }
  if (auto clash = device_clash(view->tree(), leaves)) {  // CR-7 (BR-13)
    return refuse(invalid_commit(*clash));
  }
  if (!service.sender_index(gc.extensions)) {  // CR-5
    return refuse(invalid_commit("the service is not listed in external_senders"));
  }
  if (mls::find_extension(gi->extensions, mls::kExtExternalPub) == nullptr) {
    return refuse(invalid_commit("GroupInfo: no external_pub"));
  }
  MlsGroupRecord rec;
  rec.room = room;
  rec.group_id = gc.group_id;
  rec.cipher_suite = kSuite;
  rec.epoch = Epoch();
  rec.tree_hash = view->tree_hash();
  rec.group_info = *gi_bytes;
  rec.group_context = mls::encode(gc);
  rec.interim_transcript_hash =
      interim_after(suite, gc.confirmed_transcript_hash, gi->confirmation_tag);
  rec.leaf_count = view->tree().leaf_count().value();
  rec.nodes = all_nodes(view->tree());
  rec.members = members_of(view->tree());
  rec.chain_hash = mls::commit_chain_genesis(suite);
  RoomGroup group(std::move(*view));
  group.group_info = std::move(*gi_bytes);
  group.chain_hash = rec.chain_hash;
  return CheckedCreate{std::move(group), std::move(rec)};
}

}  // namespace conclave::component::ds

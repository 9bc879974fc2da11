#include "component/ds/commit_check.h"

#include <algorithm>

#include "base/base64.h"
#include "component/ds/identity.h"
#include "component/ds/mls_ns.h"
#include "mls/crypto/commit_chain.h"
#include "mls/group/extensions.h"
#include "mls/group/proposal_validation.h"
#include "mls/group/welcome_crypto.h"

namespace conclave::component::ds {

using xmpp::StanzaCondition;

namespace {

const mls::CipherSuite& suite() { return **mls::CipherSuite::get(kSuite); }

std::optional<mls::Bytes> decode_b64(std::string_view text) {
  if (text.size() > kMaxPayloadChars) return std::nullopt;
  return base64_decode(text);
}

// CM-9: the Welcome, when the commit adds members.
DsResult<mls::Bytes> check_welcome(const mls::Commit& commit,
                                   const std::optional<std::string_view>& text, bool adds) {
  if (!adds) {
    if (text) return refuse(invalid_commit("a Welcome without added members"));
    return mls::Bytes{};
  }
  if (!text) return refuse(invalid_commit("the commit adds members but carries no Welcome"));
  auto bytes = decode_b64(*text);
  if (!bytes) return refuse(invalid_commit("Welcome: not base64"));
  auto msg = mls::decode<mls::MlsMessage>(*bytes);
  const auto* w = msg ? std::get_if<mls::Welcome>(&msg->message) : nullptr;
  if (w == nullptr) return refuse(invalid_commit("Welcome: not an MLSMessage Welcome"));
  if (w->cipher_suite != kSuite) return refuse(invalid_commit("Welcome: wrong cipher suite"));
  for (const mls::ProposalOrRef& p : commit.proposals) {
    const auto* prop = std::get_if<mls::Proposal>(&p.value);
    const auto* add = prop ? std::get_if<mls::Add>(&prop->value) : nullptr;
    if (add == nullptr) continue;
    const mls::Bytes ref = mls::key_package_ref(suite(), add->key_package);
    const bool covered = std::any_of(w->secrets.begin(), w->secrets.end(),
                                     [&](const auto& s) { return s.new_member == ref; });
    if (!covered) return refuse(invalid_commit("Welcome: an added member has no entry"));
  }
  return std::move(*bytes);
}

// CM-10: the GroupInfo of the new epoch.
DsResult<mls::Bytes> check_group_info(const mls::PublicGroup& next, mls::LeafIndex committer,
                                      const std::optional<std::string_view>& text) {
  if (!text) return refuse(invalid_commit("no GroupInfo for the new epoch"));
  auto bytes = decode_b64(*text);
  if (!bytes) return refuse(invalid_commit("GroupInfo: not base64"));
  auto msg = mls::decode<mls::MlsMessage>(*bytes);
  const auto* gi = msg ? std::get_if<mls::GroupInfo>(&msg->message) : nullptr;
  if (gi == nullptr) return refuse(invalid_commit("GroupInfo: not an MLSMessage GroupInfo"));
  if (!(gi->group_context == next.context())) {
    return refuse(invalid_commit("GroupInfo: not the GroupContext of the new epoch"));
  }
  if (gi->signer != committer.value ||
      !mls::verify_group_info(suite(), *gi, mls::leaf_signature_key(next.tree(), committer))) {
    return refuse(invalid_commit("GroupInfo: not signed by the committer"));
  }
  if (mls::find_extension(gi->extensions, mls::kExtExternalPub) == nullptr) {
    return refuse(invalid_commit("GroupInfo: no external_pub"));
  }
  return std::move(*bytes);
}

}  // namespace

DsResult<DecodedCommit> decode_commit(std::string_view text) {
  auto bytes = decode_b64(text);
  if (!bytes) return refuse(invalid_commit("not base64"));
  auto msg = mls::decode<mls::MlsMessage>(*bytes);
  if (!msg) return refuse(invalid_commit("malformed: " + reason_of(msg.error())));
  const auto* pm = std::get_if<mls::PublicMessage>(&msg->message);
  if (pm == nullptr) return refuse(invalid_commit("commits must be PublicMessages"));
  if (pm->content.content_type() != mls::ContentType::commit) {
    return refuse(invalid_commit("not a commit"));
  }
  DecodedCommit out;
  out.epoch = Epoch(pm->content.epoch);
  out.hash = suite().hash(*bytes);  // SHA-256 for suite 1
  out.wire = std::move(*bytes);
  out.message = std::move(*msg);
  return out;
}

DsResult<CheckedCommit> check_commit(const RoomGroup& group, const DecodedCommit& commit,
                                     const CommitInput& input, const RoomPolicy& policy,
                                     const ServiceIdentity& service) {
  const auto& pm = std::get<mls::PublicMessage>(commit.message.message);
  const auto& body = std::get<mls::Commit>(pm.content.content.value);
  if (pm.content.group_id != group.group_id()) {  // CM-2
    return refuse(invalid_commit("not this room's group"));
  }
  auto staged = group.group.stage_commit(commit.message);  // CM-3
  if (!staged) return refuse(invalid_commit(reason_of(staged.error())));
  mls::PublicCommitReport report = staged->report();
  mls::PublicGroup next = std::move(*staged).merge();
  const mls::PublicTree& before = group.group.tree();
  const mls::PublicTree& after = next.tree();
  const std::string& sender = input.sender;
  const bool external = pm.content.sender.type() == mls::SenderType::new_member_commit;

  // CM-11, first: what follows walks the new tree.
  if (after.leaf_count().value() > input.max_tree_leaves) {
    return refuse(tree_too_wide(input.max_tree_leaves));
  }
  // CM-4
  if (!external && leaf_identity(before, report.committer) != sender) {
    return refuse(StanzaCondition::forbidden, "The committer's leaf is not the sender's");
  }
  if (leaf_identity(after, report.committer) != sender) {
    return refuse(StanzaCondition::forbidden, "The committer's new leaf does not name the sender");
  }
  if (external && !policy.may_be_in_group(sender)) {
    return refuse(StanzaCondition::forbidden, "The room does not allow the sender");
  }
  // CM-5
  for (const mls::LeafIndex l : report.added) {
    const auto id = leaf_identity(after, l);
    if (!id) return refuse(StanzaCondition::forbidden, "An added leaf has no BasicCredential");
    auto jid = xmpp::Jid::parse(*id);
    if (!jid || !jid->is_bare() || jid->bare_string() != *id || jid->node().empty()) {
      return refuse(StanzaCondition::forbidden, "An added identity is not a normalised bare JID");
    }
    if (!policy.may_be_in_group(*id)) {
      return refuse(StanzaCondition::forbidden, "The room does not allow " + *id);
    }
  }
  // CM-12: the leaves this commit writes name distinct devices of their identity.
  {
    std::vector<mls::LeafIndex> written(report.added.begin(), report.added.end());
    written.push_back(report.committer);
    if (auto clash = device_clash(after, written)) return refuse(invalid_commit(*clash));
  }
  // CM-6 (leaves removed by a pending service proposal need no permission)
  for (const mls::LeafIndex l : report.removed) {
    const bool by_service = std::any_of(group.pending.begin(), group.pending.end(),
                                        [&](const PendingProposal& p) { return p.removed == l; });
    if (by_service) continue;
    const auto id = leaf_identity(before, l);
    if (external) {
      if (id != sender) {
        return refuse(StanzaCondition::forbidden, "A resync may remove only the sender's leaf");
      }
      continue;
    }
    if (!id || !policy.may_remove(sender, *id)) {
      return refuse(StanzaCondition::forbidden, "The sender may not remove this member");
    }
  }
  // CM-7. An external commit cannot include proposals by reference (RFC 9420 §12.4.3.2), so
  // it is exempt; the service proposes the Removes again in the new epoch (BR-5).
  for (const PendingProposal& p : group.pending) {
    if (external) break;
    const bool included =
        std::any_of(body.proposals.begin(), body.proposals.end(), [&](const auto& por) {
          const auto* ref = std::get_if<mls::ProposalRef>(&por.value);
          return ref != nullptr && *ref == p.ref;
        });
    if (!included) return refuse(missing_proposals());
  }
  // CM-8
  if (!service.sender_index(next.context().extensions)) {
    return refuse(StanzaCondition::forbidden, "The service must stay an external sender");
  }
  for (const mls::ProposalOrRef& por : body.proposals) {
    const auto* prop = std::get_if<mls::Proposal>(&por.value);
    if (prop != nullptr && prop->type() == mls::ProposalType::reinit) {
      return refuse(StanzaCondition::forbidden, "ReInit is not supported in rooms");
    }
  }
  // CM-9, CM-10
  auto welcome = check_welcome(body, input.welcome, !report.added.empty());
  if (!welcome) return refuse(welcome.error());
  auto gi = check_group_info(next, report.committer, input.group_info);
  if (!gi) return refuse(gi.error());

  MlsCommitRecord rec;
  rec.commit_hash = commit.hash;
  rec.prev_chain_hash = group.chain_hash;
  rec.chain_hash = mls::commit_chain_next(suite(), group.chain_hash, commit.hash);
  rec.mls_message = commit.wire;
  rec.welcome = std::move(*welcome);
  for (const mls::LeafIndex l : report.added) {
    std::string id = *leaf_identity(after, l);
    if (std::find(rec.welcome_recipients.begin(), rec.welcome_recipients.end(), id) ==
        rec.welcome_recipients.end()) {
      rec.welcome_recipients.push_back(std::move(id));
    }
  }
  rec.group_info = std::move(*gi);
  rec.sender_jid = sender;
  rec.tree_hash = next.tree_hash();
  rec.group_context = mls::encode(next.context());
  rec.interim_transcript_hash =
      interim_after(suite(), next.context().confirmed_transcript_hash, pm.auth.confirmation_tag);
  auto nodes = changed_nodes(after, report.changes);
  rec.members = member_changes(after, nodes);
  // CM-13, checked by the store in the accept transaction: the devices of the added leaves and
  // of the committer's (possibly unchanged) leaf are on their accounts' device lists.
  std::vector<mls::LeafIndex> named(report.added.begin(), report.added.end());
  named.push_back(report.committer);
  for (const mls::LeafIndex l : named) {
    rec.devices.push_back(
        {l.value, leaf_identity(after, l).value_or(""), leaf_device_at(after, l).value_or("")});
  }
  const std::uint32_t leaves = after.leaf_count().value();
  return CheckedCommit{std::move(next), std::move(report), std::move(rec), std::move(nodes),
                       leaves,          external};
}

}  // namespace conclave::component::ds

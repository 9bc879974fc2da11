#include "mls/framing/message_epoch.h"

#include <algorithm>

namespace conclave::mls {

namespace {

constexpr std::string_view kContentLabel = "FramedContentTBS";

}  // namespace

Status check_epoch(const MessageEpoch& epoch, ByteView group_id, std::uint64_t epoch_number) {
  if (!std::ranges::equal(group_id, epoch.context->group_id)) return fail(Errc::wrong_group);
  if (epoch_number != epoch.context->epoch) return fail(Errc::wrong_epoch);
  return {};
}

Result<AuthenticatedContent> sign_content(const MessageEpoch& epoch, WireFormat wire_format,
                                          FramedContent content, const SigningKey& key) {
  if (auto ok = check_epoch(epoch, content.group_id, content.epoch); !ok) return fail(ok.error());
  AuthenticatedContent ac;
  ac.wire_format = wire_format;
  ac.content = std::move(content);
  auto sig = key.sign_with_label(
      kContentLabel, encode_framed_content_tbs(wire_format, ac.content, epoch.encoded_context));
  if (!sig) return fail(sig.error());
  ac.auth.signature = std::move(*sig);
  return ac;
}

bool verify_content_signature(const MessageEpoch& epoch, const AuthenticatedContent& ac,
                              ByteView signature_key) {
  return epoch.suite->verify_with_label(
      signature_key, kContentLabel,
      encode_framed_content_tbs(ac.wire_format, ac.content, epoch.encoded_context),
      ac.auth.signature);
}

}  // namespace conclave::mls

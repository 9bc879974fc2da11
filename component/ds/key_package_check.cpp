#include "component/ds/key_package_check.h"

#include <string>
#include <variant>

#include "base/base64.h"
#include "component/ds/identity.h"
#include "component/ds/mls_ns.h"
#include "mls/framing/mls_message.h"
#include "mls/group/key_package_validation.h"

namespace conclave::component::ds {

using xmpp::StanzaCondition;

DsResult<CheckedKeyPackage> check_key_package(std::string_view text, const std::string& owner,
                                              std::uint64_t now_seconds, bool last_resort,
                                              std::uint64_t max_lifetime_seconds) {
  if (text.size() > kMaxPayloadChars) return refuse(invalid_key_package("too large"));
  auto bytes = base64_decode(text);  // KP-1
  if (!bytes) return refuse(invalid_key_package("not base64"));
  auto msg = mls::decode<mls::MlsMessage>(*bytes);
  if (!msg) return refuse(invalid_key_package("malformed: " + reason_of(msg.error())));
  auto* kp = std::get_if<mls::KeyPackage>(&msg->message);  // KP-2
  if (kp == nullptr) return refuse(invalid_key_package("not a KeyPackage"));
  if (kp->cipher_suite != kSuite) {  // KP-3
    return refuse(StanzaCondition::feature_not_implemented, "Only cipher suite 0x0001");
  }
  auto suite = mls::CipherSuite::get(kSuite);
  if (!suite) return refuse(StanzaCondition::internal_server_error);
  const std::uint64_t not_after = [&]() -> std::uint64_t {
    const auto* src = std::get_if<mls::KeyPackageSource>(&kp->leaf_node.source.value);
    return src != nullptr ? src->lifetime.not_after : 0;
  }();
  // KP-6 before the signature: cheaper, and a forged identity is the likelier attack.
  const auto identity = basic_identity(kp->leaf_node);
  if (!identity || *identity != owner) {
    return refuse(invalid_key_package("credential identity is not the sender's bare JID"));
  }
  auto device = leaf_device(kp->leaf_node);  // KP-7
  if (!device) return refuse(invalid_key_package("no application_id naming the device"));
  // KP-3..KP-5: no group yet, so no group id or extensions; `now` checks the lifetime.
  const mls::LeafValidationContext ctx{{}, {}, now_seconds};
  auto valid = mls::validate_key_package(**suite, std::move(*kp), ctx);
  if (!valid) return refuse(invalid_key_package(reason_of(valid.error())));
  // KP-9: RFC 9420 §7.2 has applications "define a maximum total lifetime that is acceptable
  // for a LeafNode, and reject any LeafNode where the total lifetime is longer". An unclaimed
  // package's init private key stays on its device as long as the package may be claimed
  // (forward secrecy, §16.6), and a last-resort package, which §16.8 lets be reused, hands the
  // same init key to every claimer for its whole life: it is bounded too. The bound counts from
  // the upload, so a not_before in the past (clients backdate for clock skew) costs nothing.
  if (not_after > now_seconds && not_after - now_seconds > max_lifetime_seconds) {
    const std::uint64_t days = max_lifetime_seconds / 86400;
    const std::string most = max_lifetime_seconds % 86400 != 0
                                 ? std::to_string(max_lifetime_seconds) + " seconds"
                                 : std::to_string(days) + (days == 1 ? " day" : " days");
    return refuse(invalid_key_package("lifetime too long: it ends more than " + most +
                                      " after the upload, the most this service accepts"));
  }
  CheckedKeyPackage out;
  out.message = std::move(*bytes);
  out.ref = valid->ref();
  out.not_after = not_after;
  out.last_resort = last_resort;
  out.device = std::move(*device);
  return out;
}

}  // namespace conclave::component::ds

#include "component/ds/application_check.h"

#include "base/base64.h"
#include "component/ds/mls_ns.h"
#include "mls/framing/mls_message.h"
#include "xmpp/namespaces.h"

namespace conclave::component::ds {

using xmpp::StanzaCondition;

DsStatus check_groupchat(const RoomGroup* group, const xmpp::Element& message,
                         const std::string& sender, std::uint64_t window) {
  const xmpp::Element* enc = message.child("encrypted", kMlsNs);
  if (enc == nullptr) {
    const bool body = message.child("body", xmpp::ns::kComponent) != nullptr;
    if (group != nullptr && body) {  // AM-1
      return refuse(StanzaCondition::not_acceptable,
                    "This room is end-to-end encrypted: send MLS messages only");
    }
    return {};
  }
  if (group == nullptr) {  // AM-2
    return refuse(StanzaCondition::not_acceptable, "This room has no MLS group");
  }
  const std::string text = enc->text_content();
  if (text.size() > kMaxPayloadChars) return refuse(StanzaCondition::bad_request, "Too large");
  auto bytes = base64_decode(text);  // AM-3
  if (!bytes) return refuse(StanzaCondition::bad_request, "Not base64");
  auto msg = mls::decode<mls::MlsMessage>(*bytes);
  const auto* pm = msg ? std::get_if<mls::PrivateMessage>(&msg->message) : nullptr;
  if (pm == nullptr) return refuse(StanzaCondition::bad_request, "Not an MLS PrivateMessage");
  if (pm->content_type != mls::ContentType::application) {  // AM-4
    return refuse(StanzaCondition::not_acceptable, "Handshake messages go through <commit/>");
  }
  if (pm->group_id != group->group_id()) {  // AM-5
    return refuse(StanzaCondition::not_acceptable, "Not this room's group");
  }
  const Epoch current = group->epoch();  // AM-6, on the wire's integer epoch
  if (pm->epoch > current.value() || current.value() - pm->epoch > window) {
    return refuse(message_wrong_epoch(current));
  }
  if (!group->is_member(sender)) {  // AM-7
    return refuse(StanzaCondition::forbidden, "You are not a member of the room's group");
  }
  return {};
}

}  // namespace conclave::component::ds

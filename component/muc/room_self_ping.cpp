// Self-ping (XEP-0410): a client pings its own occupant JID to learn whether it is still joined.
// With muc#self-ping-optimization (§3.2) the room answers for the occupant instead of forwarding
// the ping to a client that may be slow or gone; a ping to the room itself is answered too.
// A session that is not an occupant gets not-acceptable from the room core (room_iq.cpp).
#include "component/muc/room.h"
#include "component/muc/room_feature.h"
#include "component/rooms/namespaces.h"

namespace conclave::component {
namespace {

class SelfPingFeature final : public RoomFeature {
 public:
  void describe(const Room&, xmpp::DiscoInfo& info) const override {
    info.add_feature(ns::kSelfPingOpt);
  }

  bool on_iq(Room& room, const xmpp::Element& iq, const xmpp::Jid&,
             const xmpp::Element& payload) const override {
    if (xmpp::iq_type_of(iq) != xmpp::IqType::get || !payload.is("ping", ns::kPing)) return false;
    room.send(xmpp::iq_result(iq));
    return true;
  }

  bool on_occupant_iq(Room& room, const xmpp::Element& iq, const Occupant& sender,
                      const xmpp::Jid& to) const override {
    const xmpp::Element* q = xmpp::iq_payload(iq);
    if (sender.nick != to.resource() || q == nullptr || !q->is("ping", ns::kPing)) return false;
    room.send(xmpp::iq_result(iq));
    return true;
  }
};

}  // namespace

const RoomFeature& self_ping_feature() {
  static const SelfPingFeature feature;
  return feature;
}

}  // namespace conclave::component

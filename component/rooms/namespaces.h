#pragma once
// XML namespaces and feature strings of the room service, in one place.
#include <string_view>

namespace conclave::component::ns {

inline constexpr std::string_view kClient = "jabber:client";
inline constexpr std::string_view kMuc = "http://jabber.org/protocol/muc";             // XEP-0045
inline constexpr std::string_view kMucUser = "http://jabber.org/protocol/muc#user";    // §7
inline constexpr std::string_view kMucAdmin = "http://jabber.org/protocol/muc#admin";  // §9
inline constexpr std::string_view kMucOwner = "http://jabber.org/protocol/muc#owner";  // §10
inline constexpr std::string_view kRoomConfig = "http://jabber.org/protocol/muc#roomconfig";
inline constexpr std::string_view kRoomInfo = "http://jabber.org/protocol/muc#roominfo";
inline constexpr std::string_view kStableId = "http://jabber.org/protocol/muc#stable_id";
inline constexpr std::string_view kSelfPingOpt =
    "http://jabber.org/protocol/muc#self-ping-optimization";                 // XEP-0410
inline constexpr std::string_view kStanzaId = "urn:xmpp:sid:0";              // XEP-0359
inline constexpr std::string_view kOccupantId = "urn:xmpp:occupant-id:0";    // XEP-0421
inline constexpr std::string_view kMam = "urn:xmpp:mam:2";                   // XEP-0313
inline constexpr std::string_view kMamExtended = "urn:xmpp:mam:2#extended";  // §5.1.2
inline constexpr std::string_view kRsm = "http://jabber.org/protocol/rsm";   // XEP-0059
inline constexpr std::string_view kForward = "urn:xmpp:forward:0";           // XEP-0297
inline constexpr std::string_view kDelay = "urn:xmpp:delay";                 // XEP-0203
inline constexpr std::string_view kConference = "jabber:x:conference";       // XEP-0249
inline constexpr std::string_view kPing = "urn:xmpp:ping";                   // XEP-0199
inline constexpr std::string_view kRegister = "jabber:iq:register";          // XEP-0077
inline constexpr std::string_view kMucRegister = "http://jabber.org/protocol/muc#register";
inline constexpr std::string_view kMucRequest = "http://jabber.org/protocol/muc#request";
// XEP-0425 0.3.0 (moderate:1 with XEP-0424 retract:1) and the 0.2.1 form clients still send
// (moderate:0 inside XEP-0422 apply-to, retract:0).
inline constexpr std::string_view kModerate = "urn:xmpp:message-moderate:1";
inline constexpr std::string_view kRetract = "urn:xmpp:message-retract:1";
inline constexpr std::string_view kModerate0 = "urn:xmpp:message-moderate:0";
inline constexpr std::string_view kRetract0 = "urn:xmpp:message-retract:0";
inline constexpr std::string_view kFasten = "urn:xmpp:fasten:0";
inline constexpr std::string_view kHints = "urn:xmpp:hints";                 // XEP-0334
inline constexpr std::string_view kFmuc = "http://isode.com/protocol/fmuc";  // XEP-0289
// The project's own extensions (docs/protocol.md), where a room element needs them.
inline constexpr std::string_view kMlsExt = "urn:xmpp:mls:0";

}  // namespace conclave::component::ns

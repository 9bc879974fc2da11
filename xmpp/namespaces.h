#pragma once
// XML namespaces the XMPP layer names, in one place.
#include <string_view>

namespace conclave::xmpp::ns {

inline constexpr std::string_view kComponent = "jabber:component:accept";        // XEP-0114
inline constexpr std::string_view kStream = "http://etherx.jabber.org/streams";  // RFC 6120 §4
inline constexpr std::string_view kStreamErrors = "urn:ietf:params:xml:ns:xmpp-streams";  // §4.9
inline constexpr std::string_view kStanzaErrors = "urn:ietf:params:xml:ns:xmpp-stanzas";  // §8.3
inline constexpr std::string_view kXml = "http://www.w3.org/XML/1998/namespace";
inline constexpr std::string_view kDiscoInfo = "http://jabber.org/protocol/disco#info";  // XEP-0030
inline constexpr std::string_view kDiscoItems =
    "http://jabber.org/protocol/disco#items";                                         // XEP-0030
inline constexpr std::string_view kDataForms = "jabber:x:data";                       // XEP-0004
inline constexpr std::string_view kCommands = "http://jabber.org/protocol/commands";  // XEP-0050
inline constexpr std::string_view kPing = "urn:xmpp:ping";                            // XEP-0199

}  // namespace conclave::xmpp::ns

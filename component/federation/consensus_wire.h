#pragma once
// The mirrors' commit-agreement messages on the wire (docs/federation.md §3.3): one
// urn:xmpp:mls:0 element per message, carried between room JIDs of the mirror set.
//
//   <vote-request xmlns='urn:xmpp:mls:0' term='5' last-index='12' last-term='4'/>
//   <vote xmlns='urn:xmpp:mls:0' term='5' granted='true'/>
//   (both with pre='true' for a pre-vote; absent means false)
//   <append xmlns='urn:xmpp:mls:0' term='5' prev-index='11' prev-term='4' commit-index='11'>
//     <entry term='5'>BASE64(commit hash)</entry>   (empty: the leader's no-op)
//   </append>
//   <append-ack xmlns='urn:xmpp:mls:0' term='5' success='true' match-index='12'/>
//
// Decoding is strict, since peers are other servers: every number a plain decimal up to 2^63,
// booleans 'true' or 'false', at most kMaxWireEntries entries of at most kMaxHashBytes each,
// nothing unknown inside <append/>. The sender and recipient come from the stanza's addresses,
// never from the payload.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "component/federation/commit_consensus.h"
#include "xmpp/element.h"

namespace conclave::component::federation {

// The namespace of every federation payload (docs/protocol.md, docs/federation.md §3.3).
inline constexpr std::string_view kFederationNs = "urn:xmpp:mls:0";
inline constexpr std::size_t kMaxWireEntries = 64;
inline constexpr std::size_t kMaxHashBytes = 64;

// encode: the payload element of `m` (from/to are the stanza's business).
xmpp::Element encode(const Message& m);

struct WireError {
  std::string what;  // for the log line and the stanza error's text
};

// decode: the message `payload` carries, addressed from `from` to `to`; nullopt (and `error`
// set, when given) for anything that is not exactly one of the four elements above.
std::optional<Message> decode(const xmpp::Element& payload, const NodeId& from, const NodeId& to,
                              WireError* error = nullptr);

// is_consensus_payload: whether `e` is one of the four (by name and namespace), well formed or
// not, so a router can send it here.
bool is_consensus_payload(const xmpp::Element& e);

}  // namespace conclave::component::federation

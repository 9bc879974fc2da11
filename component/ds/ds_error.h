#pragma once
// DsResult: what the delivery service's checks return: a value, or the stanza error the client
// gets (docs/protocol.md "Error conditions"). Checks never send anything themselves.
#include <cstdint>
#include <string>
#include <system_error>
#include <tl/expected.hpp>

#include "component/store/epoch.h"
#include "xmpp/stanza.h"

namespace conclave::component::ds {

template <class T>
using DsResult = tl::expected<T, xmpp::StanzaError>;
using DsStatus = DsResult<void>;

inline tl::unexpected<xmpp::StanzaError> refuse(xmpp::StanzaError e) {
  return tl::unexpected(std::move(e));
}
// refuse(condition, text): a defined condition with its RFC 6120 default type.
tl::unexpected<xmpp::StanzaError> refuse(xmpp::StanzaCondition c, std::string text = {});

// <bad-request/> + <invalid-key-package xmlns='urn:xmpp:mls:0'/>; `reason` goes into <text/>.
xmpp::StanzaError invalid_key_package(std::string reason);
// <bad-request/> + <invalid-commit xmlns='urn:xmpp:mls:0'>reason</invalid-commit>.
xmpp::StanzaError invalid_commit(std::string reason);
// A commit for another epoch: cancel/<conflict/> + <wrong-epoch current='N'/>.
xmpp::StanzaError commit_wrong_epoch(Epoch current);
// An application message outside the epoch window: modify/<not-acceptable/> + <wrong-epoch/>.
xmpp::StanzaError message_wrong_epoch(Epoch current);
// A commit that leaves out a pending service proposal: <not-acceptable/> + <missing-proposals/>.
xmpp::StanzaError missing_proposals();
// A group wider than mls.max_tree_leaves (CR-6, CM-11): <policy-violation/> with the limit.
xmpp::StanzaError tree_too_wide(std::uint32_t max_leaves);

// A leaf whose device is not on its account's device list (CR-8, CM-13): <forbidden/> +
// <unknown-device xmlns='urn:xmpp:mls:0'/>.
xmpp::StanzaError unknown_device();

// reason_of: a short reason text for an MLS-layer error (its message; never secret data).
std::string reason_of(std::error_code ec);

}  // namespace conclave::component::ds

#pragma once
// XEP-0421 occupant ids: stable per (room, user), opaque to everyone else. Computed as
// base64(HMAC-SHA256(key = the room's random salt, message = the user's bare JID)), as Prosody
// does: the salt never leaves the server, so the id reveals nothing about the JID.
#include <string>
#include <string_view>

namespace conclave::component {

// occupant_id: the id of `bare_jid` in the room salted with `salt`. Aborts only if OpenSSL
// cannot compute HMAC-SHA256 (a broken installation, not an input condition).
std::string occupant_id(std::string_view salt, std::string_view bare_jid);

// random_token: `bytes` random bytes from OpenSSL's CSPRNG, as unpadded base64url (ids, salts).
std::string random_token(std::size_t bytes);

}  // namespace conclave::component

#pragma once
// Which room nicknames a room accepts, beyond what the JID rules already enforce.
#include <string_view>

namespace conclave::component {

// visible_nickname: false if `nick` (UTF-8) shows nothing: empty, or only white space, control
// characters and default-ignorable code points (zero-width spaces, joiners, bidi marks, variation
// selectors, Hangul fillers, ...). XEP-0045 §17.1 forbids "empty or invisible Room Nicknames";
// RFC 7700 (the PRECIS nickname profile) disallows these code points and refuses a nickname
// that is empty once they are gone. Ill-formed UTF-8 counts as visible: the XML parser has
// refused it already.
bool visible_nickname(std::string_view nick);

}  // namespace conclave::component

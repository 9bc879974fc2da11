#pragma once
// XML serialization of Element trees for an XMPP stream.
#include <string>
#include <string_view>

#include "xmpp/element.h"

namespace conclave::xmpp {

// Appends `e` to `out`. An xmlns declaration is written wherever an element's namespace differs
// from the default namespace in scope; `inherited_ns` is the default in scope around `e` (pass
// ns::kComponent inside a component stream to omit it on stanzas, or "" to always declare it).
void serialize(const Element& e, std::string& out, std::string_view inherited_ns = {});
std::string to_string(const Element& e, std::string_view inherited_ns = {});

// Escaping. Attribute values escape & < > " ' (and TAB/LF/CR, which attribute-value normalisation
// would otherwise turn into spaces); text escapes & < > (and CR, which a parser would drop).
void append_escaped_text(std::string& out, std::string_view s);
void append_escaped_attr(std::string& out, std::string_view s);

}  // namespace conclave::xmpp

#pragma once
// Small stanza helpers of the room service: namespace moves between the component stream and
// stored/forwarded stanzas, parsing a stored stanza back, XEP-0082 timestamps.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "xmpp/element.h"

namespace conclave::component {

using TimePoint = std::chrono::system_clock::time_point;

// with_namespace: `e` with every element in namespace `from` moved to `to` (a stanza from the
// component stream is in jabber:component:accept; a forwarded copy must be in jabber:client).
xmpp::Element with_namespace(xmpp::Element e, std::string_view from, std::string_view to);

// parse_stanza_xml: one serialized stanza (default namespace jabber:client) back into an
// Element; nullopt if it is not exactly one well-formed element.
std::optional<xmpp::Element> parse_stanza_xml(std::string_view xml);

// XEP-0082 DateTime in UTC with milliseconds ("2026-01-02T03:04:05.678Z"), and its parse
// (fractions and a numeric offset accepted).
std::string format_timestamp(TimePoint t);
std::optional<TimePoint> parse_timestamp(std::string_view s);

// remove_children: drops every child with this name and namespace for which `pred` holds.
template <class Pred>
void remove_children(xmpp::Element& e, std::string_view name, std::string_view ns, Pred pred) {
  auto& kids = e.children();
  std::erase_if(kids, [&](const xmpp::Element& c) { return c.is(name, ns) && pred(c); });
}

}  // namespace conclave::component

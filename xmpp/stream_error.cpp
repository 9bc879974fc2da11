#include "xmpp/stream_error.h"

#include <array>
#include <utility>

#include "xmpp/namespaces.h"
#include "xmpp/serializer.h"

namespace conclave::xmpp {
namespace {

constexpr std::array<std::pair<StreamCondition, std::string_view>, 25> kNames{{
    {StreamCondition::bad_format, "bad-format"},
    {StreamCondition::bad_namespace_prefix, "bad-namespace-prefix"},
    {StreamCondition::conflict, "conflict"},
    {StreamCondition::connection_timeout, "connection-timeout"},
    {StreamCondition::host_gone, "host-gone"},
    {StreamCondition::host_unknown, "host-unknown"},
    {StreamCondition::improper_addressing, "improper-addressing"},
    {StreamCondition::internal_server_error, "internal-server-error"},
    {StreamCondition::invalid_from, "invalid-from"},
    {StreamCondition::invalid_namespace, "invalid-namespace"},
    {StreamCondition::invalid_xml, "invalid-xml"},
    {StreamCondition::not_authorized, "not-authorized"},
    {StreamCondition::not_well_formed, "not-well-formed"},
    {StreamCondition::policy_violation, "policy-violation"},
    {StreamCondition::remote_connection_failed, "remote-connection-failed"},
    {StreamCondition::reset, "reset"},
    {StreamCondition::resource_constraint, "resource-constraint"},
    {StreamCondition::restricted_xml, "restricted-xml"},
    {StreamCondition::see_other_host, "see-other-host"},
    {StreamCondition::system_shutdown, "system-shutdown"},
    {StreamCondition::undefined_condition, "undefined-condition"},
    {StreamCondition::unsupported_encoding, "unsupported-encoding"},
    {StreamCondition::unsupported_feature, "unsupported-feature"},
    {StreamCondition::unsupported_stanza_type, "unsupported-stanza-type"},
    {StreamCondition::unsupported_version, "unsupported-version"},
}};

}  // namespace

std::string_view to_string(StreamCondition c) {
  for (const auto& [cond, name] : kNames) {
    if (cond == c) return name;
  }
  return "undefined-condition";
}

std::optional<StreamCondition> stream_condition_from(std::string_view name) {
  for (const auto& [cond, n] : kNames) {
    if (n == name) return cond;
  }
  return std::nullopt;
}

bool is_stream_error(const Element& e) { return e.is("error", ns::kStream); }

StreamError parse_stream_error(const Element& e) {
  StreamError out;
  for (const Element& c : e.children()) {
    if (c.ns() != ns::kStreamErrors) continue;
    if (c.name() == "text") {
      out.text = c.text_content();
    } else if (auto cond = stream_condition_from(c.name())) {
      out.condition = *cond;
    }
  }
  return out;
}

std::string stream_error_bytes(const StreamError& e) {
  Element error("error", std::string(ns::kStream));
  error.add_child(std::string(to_string(e.condition)), std::string(ns::kStreamErrors));
  if (!e.text.empty()) {
    error.add_child("text", std::string(ns::kStreamErrors)).set_text(e.text);
  }
  // Written with the `stream:` prefix the header declared; children declare their own namespace.
  std::string out = "<stream:error>";
  for (const Element& c : error.children()) serialize(c, out, ns::kStream);
  out += "</stream:error></stream:stream>";
  return out;
}

}  // namespace conclave::xmpp

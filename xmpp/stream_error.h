#pragma once
// Stream-level error conditions (RFC 6120 §4.9.3) and the <stream:error/> element.
#include <optional>
#include <string>
#include <string_view>

#include "xmpp/element.h"

namespace conclave::xmpp {

enum class StreamCondition {
  bad_format,
  bad_namespace_prefix,
  conflict,
  connection_timeout,
  host_gone,
  host_unknown,
  improper_addressing,
  internal_server_error,
  invalid_from,
  invalid_namespace,
  invalid_xml,
  not_authorized,
  not_well_formed,
  policy_violation,
  remote_connection_failed,
  reset,
  resource_constraint,
  restricted_xml,
  see_other_host,
  system_shutdown,
  undefined_condition,
  unsupported_encoding,
  unsupported_feature,
  unsupported_stanza_type,
  unsupported_version,
};

std::string_view to_string(StreamCondition c);
std::optional<StreamCondition> stream_condition_from(std::string_view name);

struct StreamError {
  StreamCondition condition = StreamCondition::undefined_condition;
  std::string text;
};

// True for a top-level <error xmlns='http://etherx.jabber.org/streams'/>.
bool is_stream_error(const Element& e);
// The condition and text of a received <stream:error/>; unknown conditions become
// undefined-condition (RFC 6120 §4.9.3.21).
StreamError parse_stream_error(const Element& e);
// The bytes that send a stream error and close the stream (RFC 6120 §4.9.1.1), assuming the
// stream header bound the prefix `stream` as we send it.
std::string stream_error_bytes(const StreamError& e);

}  // namespace conclave::xmpp

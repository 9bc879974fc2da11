#pragma once
// Stanza helpers: kinds and accessors for iq/message/presence (RFC 6120 §8), builders, and the
// ONE function that builds error replies (RFC 6120 §8.3).
#include <optional>
#include <string>
#include <string_view>

#include "xmpp/element.h"
#include "xmpp/jid.h"

namespace conclave::xmpp {

enum class StanzaKind { iq, message, presence, other };

StanzaKind kind_of(const Element& stanza);
inline std::string_view type_of(const Element& s) { return s.attr_or("type"); }
inline std::string_view id_of(const Element& s) { return s.attr_or("id"); }
inline std::string_view from_of(const Element& s) { return s.attr_or("from"); }
inline std::string_view to_of(const Element& s) { return s.attr_or("to"); }
Result<Jid> from_jid(const Element& s);  // invalid_jid when absent or malformed
Result<Jid> to_jid(const Element& s);

// The type attribute of each kind of stanza, parsed once so that code compares enumerators, not
// strings. An absent (or empty) type is the kind's default: `normal` for a message (RFC 6121
// §5.2.2), `available` for a presence (RFC 6121 §4.7.1); an iq has no default (RFC 6120
// §8.2.3). Any other value is `unknown`: the caller decides (RFC 6121 treats an unknown message
// type as normal; a MUC room ignores it).
enum class IqType { get, set, result, error, unknown };
enum class MessageType { normal, chat, groupchat, headline, error, unknown };
enum class PresenceType {
  available,
  unavailable,
  subscribe,
  subscribed,
  unsubscribe,
  unsubscribed,
  probe,
  error,
  unknown,
};
IqType iq_type_from(std::string_view type);
MessageType message_type_from(std::string_view type);
PresenceType presence_type_from(std::string_view type);
// The stanza's type, read as the given kind (the kind itself is not checked: see kind_of).
inline IqType iq_type_of(const Element& iq) { return iq_type_from(type_of(iq)); }
inline MessageType message_type_of(const Element& m) { return message_type_from(type_of(m)); }
inline PresenceType presence_type_of(const Element& p) { return presence_type_from(type_of(p)); }
// is_error_stanza: type='error', whatever the kind (RFC 6120 §8.3).
inline bool is_error_stanza(const Element& s) { return type_of(s) == "error"; }

// An iq request is type get or set with exactly one payload child (RFC 6120 §8.2.3).
bool is_iq_request(const Element& s);
const Element* iq_payload(const Element& s);  // the first child, or null

// Builders: stanzas in the jabber:component:accept namespace (XEP-0114).
Element make_stanza(std::string_view kind, std::string_view type, std::string_view from,
                    std::string_view to, std::string_view id);
Element make_iq(std::string_view type, std::string_view from, std::string_view to,
                std::string_view id);
// type='result' with from/to swapped and the same id, optionally carrying `payload`.
Element iq_result(const Element& request, std::optional<Element> payload = std::nullopt);

enum class ErrorType { auth, cancel, continue_, modify, wait };
std::string_view to_string(ErrorType t);

// RFC 6120 §8.3.3 defined conditions.
enum class StanzaCondition {
  bad_request,
  conflict,
  feature_not_implemented,
  forbidden,
  gone,
  internal_server_error,
  item_not_found,
  jid_malformed,
  not_acceptable,
  not_allowed,
  not_authorized,
  policy_violation,
  recipient_unavailable,
  redirect,
  registration_required,
  remote_server_not_found,
  remote_server_timeout,
  resource_constraint,
  service_unavailable,
  subscription_required,
  undefined_condition,
  unexpected_request,
};
std::string_view to_string(StanzaCondition c);
std::optional<StanzaCondition> stanza_condition_from(std::string_view name);
ErrorType default_error_type(StanzaCondition c);  // the type RFC 6120 §8.3.3 suggests

struct StanzaError {
  StanzaCondition condition = StanzaCondition::undefined_condition;
  ErrorType type = ErrorType::cancel;
  std::string text;                    // human-readable, optional
  std::optional<Element> application;  // application-specific condition, optional

  // The condition with its default type.
  static StanzaError of(StanzaCondition c, std::string text = {});
  StanzaError& with(Element app) {
    application = std::move(app);
    return *this;
  }
};

// The error reply to `stanza` (RFC 6120 §8.3.1): same element name and id, type='error', from and
// to swapped, and <error type='…'><condition xmlns='…xmpp-stanzas'/>[<text/>][app]</error>.
// Returns nullopt for a stanza of type 'error': errors are never answered (§8.3.1, rule 2),
// which stops error loops between entities.
std::optional<Element> error_reply(const Element& stanza, const StanzaError& error);

// The <error/> of a received error stanza, or nullopt when it has none.
std::optional<StanzaError> parse_stanza_error(const Element& stanza);

}  // namespace conclave::xmpp

#include "xmpp/stanza.h"

#include <array>
#include <utility>

#include "xmpp/namespaces.h"

namespace conclave::xmpp {
namespace {

constexpr std::array<std::pair<StanzaCondition, std::string_view>, 22> kConditions{{
    {StanzaCondition::bad_request, "bad-request"},
    {StanzaCondition::conflict, "conflict"},
    {StanzaCondition::feature_not_implemented, "feature-not-implemented"},
    {StanzaCondition::forbidden, "forbidden"},
    {StanzaCondition::gone, "gone"},
    {StanzaCondition::internal_server_error, "internal-server-error"},
    {StanzaCondition::item_not_found, "item-not-found"},
    {StanzaCondition::jid_malformed, "jid-malformed"},
    {StanzaCondition::not_acceptable, "not-acceptable"},
    {StanzaCondition::not_allowed, "not-allowed"},
    {StanzaCondition::not_authorized, "not-authorized"},
    {StanzaCondition::policy_violation, "policy-violation"},
    {StanzaCondition::recipient_unavailable, "recipient-unavailable"},
    {StanzaCondition::redirect, "redirect"},
    {StanzaCondition::registration_required, "registration-required"},
    {StanzaCondition::remote_server_not_found, "remote-server-not-found"},
    {StanzaCondition::remote_server_timeout, "remote-server-timeout"},
    {StanzaCondition::resource_constraint, "resource-constraint"},
    {StanzaCondition::service_unavailable, "service-unavailable"},
    {StanzaCondition::subscription_required, "subscription-required"},
    {StanzaCondition::undefined_condition, "undefined-condition"},
    {StanzaCondition::unexpected_request, "unexpected-request"},
}};

std::optional<ErrorType> error_type_from(std::string_view s) {
  if (s == "auth") return ErrorType::auth;
  if (s == "cancel") return ErrorType::cancel;
  if (s == "continue") return ErrorType::continue_;
  if (s == "modify") return ErrorType::modify;
  if (s == "wait") return ErrorType::wait;
  return std::nullopt;
}

}  // namespace

StanzaKind kind_of(const Element& s) {
  if (s.name() == "iq") return StanzaKind::iq;
  if (s.name() == "message") return StanzaKind::message;
  if (s.name() == "presence") return StanzaKind::presence;
  return StanzaKind::other;
}

Result<Jid> from_jid(const Element& s) {
  const std::string* v = s.attr("from");
  if (v == nullptr) return fail(Errc::invalid_jid);
  return Jid::parse(*v);
}

Result<Jid> to_jid(const Element& s) {
  const std::string* v = s.attr("to");
  if (v == nullptr) return fail(Errc::invalid_jid);
  return Jid::parse(*v);
}

IqType iq_type_from(std::string_view type) {
  if (type == "get") return IqType::get;
  if (type == "set") return IqType::set;
  if (type == "result") return IqType::result;
  if (type == "error") return IqType::error;
  return IqType::unknown;
}

MessageType message_type_from(std::string_view type) {
  if (type.empty() || type == "normal") return MessageType::normal;
  if (type == "chat") return MessageType::chat;
  if (type == "groupchat") return MessageType::groupchat;
  if (type == "headline") return MessageType::headline;
  if (type == "error") return MessageType::error;
  return MessageType::unknown;
}

PresenceType presence_type_from(std::string_view type) {
  if (type.empty()) return PresenceType::available;
  if (type == "unavailable") return PresenceType::unavailable;
  if (type == "subscribe") return PresenceType::subscribe;
  if (type == "subscribed") return PresenceType::subscribed;
  if (type == "unsubscribe") return PresenceType::unsubscribe;
  if (type == "unsubscribed") return PresenceType::unsubscribed;
  if (type == "probe") return PresenceType::probe;
  if (type == "error") return PresenceType::error;
  return PresenceType::unknown;
}

bool is_iq_request(const Element& s) {
  const IqType t = iq_type_of(s);
  return kind_of(s) == StanzaKind::iq && (t == IqType::get || t == IqType::set) &&
         s.children().size() == 1;
}

const Element* iq_payload(const Element& s) { return s.first_child(); }

Element make_stanza(std::string_view kind, std::string_view type, std::string_view from,
                    std::string_view to, std::string_view id) {
  Element e{std::string(kind), std::string(ns::kComponent)};
  if (!type.empty()) e.set_attr("type", std::string(type));
  if (!id.empty()) e.set_attr("id", std::string(id));
  if (!from.empty()) e.set_attr("from", std::string(from));
  if (!to.empty()) e.set_attr("to", std::string(to));
  return e;
}

Element make_iq(std::string_view type, std::string_view from, std::string_view to,
                std::string_view id) {
  return make_stanza("iq", type, from, to, id);
}

Element iq_result(const Element& request, std::optional<Element> payload) {
  Element r = make_stanza("iq", "result", to_of(request), from_of(request), id_of(request));
  if (payload) r.add_child(std::move(*payload));
  return r;
}

std::string_view to_string(ErrorType t) {
  switch (t) {
    case ErrorType::auth:
      return "auth";
    case ErrorType::cancel:
      return "cancel";
    case ErrorType::continue_:
      return "continue";
    case ErrorType::modify:
      return "modify";
    case ErrorType::wait:
      return "wait";
  }
  return "cancel";
}

std::string_view to_string(StanzaCondition c) {
  for (const auto& [cond, name] : kConditions) {
    if (cond == c) return name;
  }
  return "undefined-condition";
}

std::optional<StanzaCondition> stanza_condition_from(std::string_view name) {
  for (const auto& [cond, n] : kConditions) {
    if (n == name) return cond;
  }
  return std::nullopt;
}

ErrorType default_error_type(StanzaCondition c) {
  switch (c) {
    case StanzaCondition::bad_request:
    case StanzaCondition::jid_malformed:
    case StanzaCondition::not_acceptable:
    case StanzaCondition::policy_violation:
    case StanzaCondition::redirect:
    case StanzaCondition::gone:
      return ErrorType::modify;
    case StanzaCondition::forbidden:
    case StanzaCondition::not_authorized:
    case StanzaCondition::registration_required:
    case StanzaCondition::subscription_required:
      return ErrorType::auth;
    case StanzaCondition::internal_server_error:
    case StanzaCondition::recipient_unavailable:
    case StanzaCondition::remote_server_timeout:
    case StanzaCondition::resource_constraint:
    case StanzaCondition::unexpected_request:
      return ErrorType::wait;
    default:
      return ErrorType::cancel;
  }
}

StanzaError StanzaError::of(StanzaCondition c, std::string text) {
  return StanzaError{c, default_error_type(c), std::move(text), std::nullopt};
}

std::optional<Element> error_reply(const Element& stanza, const StanzaError& error) {
  if (is_error_stanza(stanza)) return std::nullopt;  // RFC 6120 §8.3.1: never answer errors
  Element reply{stanza.name(), stanza.ns()};
  reply.set_attr("type", "error");
  if (const std::string* id = stanza.attr("id")) reply.set_attr("id", *id);
  if (const std::string* from = stanza.attr("from")) reply.set_attr("to", *from);
  if (const std::string* to = stanza.attr("to")) reply.set_attr("from", *to);
  Element& e = reply.add_child("error", stanza.ns());
  e.set_attr("type", std::string(to_string(error.type)));
  e.add_child(std::string(to_string(error.condition)), std::string(ns::kStanzaErrors));
  if (!error.text.empty()) {
    e.add_child("text", std::string(ns::kStanzaErrors)).set_text(error.text);
  }
  if (error.application) e.add_child(*error.application);
  return reply;
}

std::optional<StanzaError> parse_stanza_error(const Element& stanza) {
  const Element* e = stanza.child("error", stanza.ns());
  if (e == nullptr) return std::nullopt;
  StanzaError out;
  out.type = error_type_from(e->attr_or("type")).value_or(ErrorType::cancel);
  for (const Element& c : e->children()) {
    if (c.ns() == ns::kStanzaErrors) {
      if (c.name() == "text") {
        out.text = c.text_content();
      } else if (auto cond = stanza_condition_from(c.name())) {
        out.condition = *cond;
      }
    } else if (!out.application) {
      out.application = c;
    }
  }
  return out;
}

}  // namespace conclave::xmpp

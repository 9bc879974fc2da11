#include "component/ds/ds_error.h"

#include "component/ds/mls_ns.h"

namespace conclave::component::ds {

using xmpp::Element;
using xmpp::ErrorType;
using xmpp::StanzaCondition;
using xmpp::StanzaError;

tl::unexpected<StanzaError> refuse(StanzaCondition c, std::string text) {
  return tl::unexpected(StanzaError::of(c, std::move(text)));
}

StanzaError invalid_key_package(std::string reason) {
  return StanzaError::of(StanzaCondition::bad_request, std::move(reason))
      .with(Element("invalid-key-package", std::string(kMlsNs)));
}

StanzaError invalid_commit(std::string reason) {
  Element app("invalid-commit", std::string(kMlsNs));
  app.set_text(reason);
  return StanzaError::of(StanzaCondition::bad_request, std::move(reason)).with(std::move(app));
}

StanzaError commit_wrong_epoch(Epoch current) {
  Element app("wrong-epoch", std::string(kMlsNs));
  app.set_attr("current", std::to_string(current.value()));
  StanzaError e{StanzaCondition::conflict, ErrorType::cancel, "", std::nullopt};
  return e.with(std::move(app));
}

StanzaError message_wrong_epoch(Epoch current) {
  Element app("wrong-epoch", std::string(kMlsNs));
  app.set_attr("current", std::to_string(current.value()));
  StanzaError e{StanzaCondition::not_acceptable, ErrorType::modify, "", std::nullopt};
  return e.with(std::move(app));
}

StanzaError missing_proposals() {
  return StanzaError::of(StanzaCondition::not_acceptable,
                         "The commit must include every pending service proposal")
      .with(Element("missing-proposals", std::string(kMlsNs)));
}

xmpp::StanzaError tree_too_wide(std::uint32_t max_leaves) {
  return xmpp::StanzaError::of(xmpp::StanzaCondition::policy_violation,
                               "The group would be wider than this service allows (" +
                                   std::to_string(max_leaves) + " leaves)");
}

StanzaError unknown_device() {
  return StanzaError::of(StanzaCondition::forbidden,
                         "A leaf names a device that is not on its account's device list "
                         "(retired, or it never published key packages)")
      .with(Element("unknown-device", std::string(kMlsNs)));
}

std::string reason_of(std::error_code ec) { return ec.message(); }

}  // namespace conclave::component::ds

#include "component/federation/federation_service.h"

#include "component/federation/consensus_wire.h"
#include "xmpp/jid.h"
#include "xmpp/stanza.h"

namespace conclave::component::federation {

namespace {

std::string_view role_name(Role r) {
  switch (r) {
    case Role::leader:
      return "sequencer";
    case Role::candidate:
      return "candidate";
    case Role::follower:
      return "follower";
  }
  return "follower";
}

}  // namespace

FederationService::FederationService(const FederationConfig& config, Send send, Log log,
                                     std::uint64_t seed, ConsensusStore* store)
    : send_(send), log_(log), runtime_(send, log, seed, {}, store), config_(config) {
  if (!config_.home.empty() && !runtime_.configure(config_.self, config_.mirrors, config_.home)) {
    log_(
        "federation: no agreement for " + config_.self +
        " (a mirror set without it or the home, or its saved state unreadable); federation is off");
    config_ = {};
  }
  if (config_.home.empty()) config_ = {};  // off: no room served here
  if (auto s = runtime_.status(config_.self)) last_ = *s;
}

bool FederationService::on_stanza(const xmpp::Element& stanza) {
  if (config_.self.empty()) return false;
  if (runtime_.on_stanza(stanza)) {
    log_changes();
    return true;
  }
  return on_status_query(stanza);
}

bool FederationService::on_status_query(const xmpp::Element& iq) {
  if (iq.name() != "iq" || xmpp::iq_type_of(iq) != xmpp::IqType::get) return false;
  const xmpp::Element* q = xmpp::iq_payload(iq);
  if (q == nullptr || !q->is("consensus", kFederationNs)) return false;
  auto to = xmpp::Jid::parse(iq.attr_or("to"));
  if (!to || to->bare_string() != config_.self || !to->resource().empty()) return false;
  const ConsensusStatus s = *runtime_.status(config_.self);
  xmpp::Element answer("consensus", std::string(kFederationNs));
  answer.set_attr("term", std::to_string(s.term));
  answer.set_attr("role", std::string(role_name(s.role)));
  if (s.leader) answer.set_attr("leader", *s.leader);
  answer.set_attr("committed", std::to_string(s.committed));
  send_(xmpp::iq_result(iq, std::move(answer)));
  return true;
}

void FederationService::tick() {
  if (config_.self.empty()) return;
  runtime_.tick();
  log_changes();
}

void FederationService::log_changes() {
  const ConsensusStatus s = *runtime_.status(config_.self);
  if (s.term == last_.term && s.role == last_.role && s.leader == last_.leader) return;
  log_("federation: " + config_.self + " term " + std::to_string(s.term) + ", " +
       std::string(role_name(s.role)) + ", sequencer " + (s.leader ? *s.leader : "unknown"));
  last_ = s;
}

}  // namespace conclave::component::federation

#pragma once
// KeyPackageDirectory: the service-domain IQs of docs/protocol.md §6.2-§6.4 and §6.13:
// <external-sender/>, key package upload, count, claim (one package per device) and deletion,
// the account's devices (list, retire) and the rooms whose group holds a leaf of the account. Store
// calls run on the database executor through the BlockingRunner; the answer goes out from the I/O
// thread.
#include <functional>
#include <string>

#include "component/core/rate_limiter.h"
#include "component/ds/ds_env.h"
#include "component/ds/service_identity.h"
#include "xmpp/element.h"
#include "xmpp/jid.h"

namespace conclave::component::ds {

class KeyPackageDirectory {
 public:
  KeyPackageDirectory(const DsConfig& config, DsEnv& env, const ServiceIdentity& identity);

  // handle: an iq get/set whose payload is in urn:xmpp:mls:0, from `from`. Always answers.
  void handle(const xmpp::Element& iq, const xmpp::Jid& from);
  // on_retired: called with (owner, device) after a device was retired and the answer sent.
  std::function<void(const std::string&, const std::string&)> on_retired;

 private:
  void upload(const xmpp::Element& iq, const xmpp::Element& q, const std::string& owner);
  void count(const xmpp::Element& iq, const xmpp::Element& q, const std::string& owner);
  void claim(const xmpp::Element& iq, const xmpp::Element& q, const std::string& claimer);
  void delete_packages(const xmpp::Element& iq, const xmpp::Element& q, const std::string& owner);
  void list_devices(const xmpp::Element& iq, const std::string& owner);
  void retire(const xmpp::Element& iq, const xmpp::Element& q, const std::string& owner);
  void list_rooms(const xmpp::Element& iq, const std::string& owner);
  void reply_error(const xmpp::Element& iq, const xmpp::StanzaError& e);
  void internal_error(const xmpp::Element& iq, const std::string& what, std::error_code ec);

  const DsConfig& config_;
  DsEnv& env_;
  const ServiceIdentity& identity_;
  RateLimiter uploads_;
  RateLimiter claimers_;
  RateLimiter claimed_;
};

}  // namespace conclave::component::ds

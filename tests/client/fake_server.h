#pragma once
// An in-memory XMPP server + MUC + MLS delivery service for client tests: enough of
// docs/protocol.md (key packages, create, commit with epoch check and PublicGroup validation,
// group-info, commits since, Welcome delivery with offline storage, groupchat reflection with
// stanza ids, MAM) and XEP-0045 presence to drive several Clients in one thread.
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "client/transport.h"
#include "mls/group/extensions.h"
#include "mls/group/public_group.h"
#include "xmpp/element.h"

namespace conclave::client::testing {

class FakeServer;

class FakeTransport final : public Transport {
 public:
  FakeTransport(FakeServer& server, std::string jid) : server_(server), jid_(std::move(jid)) {}
  ~FakeTransport() override;
  std::string jid() const override { return jid_; }
  std::string send(xmpp::Element stanza) override;
  Result<xmpp::Element> request(xmpp::Element iq, std::chrono::milliseconds timeout) override;
  Result<std::optional<xmpp::Element>> poll(std::chrono::milliseconds timeout) override;
  // deliver is the server's way in.
  void deliver(xmpp::Element e);
  std::string bare() const { return jid_.substr(0, jid_.find('/')); }
  std::size_t queued() const { return inbox_.size(); }
  // Test knob: the oldest stanza waiting for this session goes behind all the others (a message
  // of an epoch overtaken by the commits that end it, as the real service may deliver them).
  // Test knob: takes the oldest waiting stanza out (the test delivers it later).
  xmpp::Element take_oldest() {
    xmpp::Element e = std::move(inbox_.front());
    inbox_.pop_front();
    return e;
  }
  void delay_oldest() {
    if (inbox_.size() < 2) return;
    inbox_.push_back(std::move(inbox_.front()));
    inbox_.pop_front();
  }

 private:
  FakeServer& server_;
  std::string jid_;
  std::deque<xmpp::Element> inbox_;
  std::optional<std::string> pending_;
  std::optional<xmpp::Element> answer_;
  int next_id_ = 0;
};

class FakeServer {
 public:
  FakeServer();
  std::unique_ptr<FakeTransport> connect(const std::string& full_jid);
  void disconnect(FakeTransport* t);
  void route(FakeTransport& from, const xmpp::Element& stanza);

  // Knobs for tests.
  std::string spoof_nick;  // reflect groupchat messages as sent by this occupant nick
  std::string forge_item;  // put <x muc#user><item jid=…/></x> into reflected messages
  std::size_t group_info_queries = 0;  // <group-info/> IQs answered
  // Commits are not to be had for now: <commits/> answers none and MAM skips them (as when
  // the commit a client waits for is its own, still unanswered).
  bool withhold_commits = false;
  // Every commit chain hash served from now on is altered (a service showing another history
  // than the one it logged).
  bool forge_chain = false;
  // <delete-key-packages/> requests seen (any account).
  int deletions = 0;
  // <welcome/> gets answer item-not-found (a service that has none to give).
  bool no_welcome_fetch = false;
  std::size_t welcome_fetches = 0;  // <welcome/> gets answered with a Welcome

  struct StoredKeyPackage {
    mls::Bytes message;
    bool last_resort = false;
    std::string device;  // the leaf's application_id
    mls::Bytes ref;
  };
  struct Room {
    std::map<std::string, FakeTransport*> occupants;  // nick -> session
    std::optional<mls::PublicGroup> pub;
    mls::Bytes group_info;
    std::vector<mls::Bytes> commits;  // commits[e - base_epoch] was made in epoch e
    std::uint64_t base_epoch = 0;
    std::vector<mls::Bytes> chains;  // chains[e - base_epoch]: the commit chain hash of epoch e
    std::vector<std::pair<std::string, xmpp::Element>> archive;  // (stanza id, message)
    std::map<std::string, xmpp::Element> welcomes;  // bare JID -> <welcome/> of its latest add
  };
  std::map<std::string, std::vector<StoredKeyPackage>> key_packages;
  std::map<std::string, Room> rooms;
  std::size_t one_time_count(const std::string& bare) const;

 private:
  void handle_iq(FakeTransport& from, const xmpp::Element& iq);
  void handle_service_iq(FakeTransport& from, const xmpp::Element& iq, const xmpp::Element& q);
  void handle_room_iq(FakeTransport& from, const xmpp::Element& iq, const xmpp::Element& q,
                      const std::string& room);
  void handle_presence(FakeTransport& from, const xmpp::Element& p);
  void handle_message(FakeTransport& from, const xmpp::Element& m);
  void broadcast(Room& r, const std::string& room, xmpp::Element m);
  // with_chain: `e` with the chain hash of `epoch` as its `chain` attribute (forged if asked).
  xmpp::Element& with_chain(xmpp::Element& e, const Room& r, std::uint64_t epoch) const;
  void to_bare(const std::string& bare, const xmpp::Element& e);
  void reply(FakeTransport& to, const xmpp::Element& iq, std::optional<xmpp::Element> payload);
  void error(FakeTransport& to, const xmpp::Element& stanza, std::string_view condition,
             std::optional<xmpp::Element> app = std::nullopt);

  std::vector<FakeTransport*> sessions_;
  std::map<std::string, std::vector<xmpp::Element>> offline_;
  mls::KeyPair es_key_;
  mls::ExternalSenderEntry es_;
  int next_sid_ = 0;
};

}  // namespace conclave::client::testing

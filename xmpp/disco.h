#pragma once
// Service Discovery (XEP-0030) responder: disco#info and disco#items per node, with static
// answers or providers that see the request (to filter by requester).
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "xmpp/data_form.h"
#include "xmpp/element.h"

namespace conclave::xmpp {

struct DiscoIdentity {
  std::string category;
  std::string type;
  std::string name;
  std::string lang;  // xml:lang, optional
  bool operator==(const DiscoIdentity&) const = default;
};

struct DiscoInfo {
  std::vector<DiscoIdentity> identities;
  std::vector<std::string> features;
  std::vector<DataForm> extensions;  // XEP-0128, type result with FORM_TYPE

  void add_feature(std::string_view feature);  // ignores duplicates
  Element to_query(std::string_view node = {}) const;
};

struct DiscoItem {
  std::string jid;
  std::string node;
  std::string name;
  bool operator==(const DiscoItem&) const = default;
};

Element items_query(const std::vector<DiscoItem>& items, std::string_view node = {});

class DiscoResponder {
 public:
  // nullopt from a provider means "no such node" (item-not-found).
  using InfoProvider = std::function<std::optional<DiscoInfo>(const Element& iq)>;
  using ItemsProvider = std::function<std::optional<std::vector<DiscoItem>>(const Element& iq)>;

  void set_info(std::string node, DiscoInfo info);
  void set_info_provider(std::string node, InfoProvider p);
  void set_items(std::string node, std::vector<DiscoItem> items);
  void set_items_provider(std::string node, ItemsProvider p);

  // The reply to a disco#info or disco#items get (a result, or item-not-found for an unknown
  // node); nullopt if `iq` is no disco request. The root node "" always has an info answer
  // once set, and an empty items list when no items were set (XEP-0030 §4.2, §5.2).
  std::optional<Element> handle(const Element& iq) const;

 private:
  std::map<std::string, InfoProvider, std::less<>> info_;
  std::map<std::string, ItemsProvider, std::less<>> items_;
};

}  // namespace conclave::xmpp

#include "xmpp/disco.h"

#include <algorithm>

#include "xmpp/namespaces.h"
#include "xmpp/stanza.h"

namespace conclave::xmpp {

void DiscoInfo::add_feature(std::string_view feature) {
  if (std::find(features.begin(), features.end(), feature) == features.end()) {
    features.emplace_back(feature);
  }
}

Element DiscoInfo::to_query(std::string_view node) const {
  const std::string info_ns(ns::kDiscoInfo);
  Element q("query", info_ns);
  if (!node.empty()) q.set_attr("node", std::string(node));
  for (const DiscoIdentity& id : identities) {
    Element& e = q.add_child("identity", info_ns);
    e.set_attr("category", id.category).set_attr("type", id.type);
    if (!id.name.empty()) e.set_attr("name", id.name);
    if (!id.lang.empty()) e.set_attr("xml:lang", id.lang);
  }
  for (const std::string& f : features) q.add_child("feature", info_ns).set_attr("var", f);
  for (const DataForm& form : extensions) q.add_child(form.to_element());
  return q;
}

Element items_query(const std::vector<DiscoItem>& items, std::string_view node) {
  const std::string items_ns(ns::kDiscoItems);
  Element q("query", items_ns);
  if (!node.empty()) q.set_attr("node", std::string(node));
  for (const DiscoItem& it : items) {
    Element& e = q.add_child("item", items_ns);
    e.set_attr("jid", it.jid);
    if (!it.node.empty()) e.set_attr("node", it.node);
    if (!it.name.empty()) e.set_attr("name", it.name);
  }
  return q;
}

void DiscoResponder::set_info(std::string node, DiscoInfo info) {
  info_[std::move(node)] = [info = std::move(info)](const Element&) {
    return std::optional<DiscoInfo>(info);
  };
}

void DiscoResponder::set_info_provider(std::string node, InfoProvider p) {
  info_[std::move(node)] = std::move(p);
}

void DiscoResponder::set_items(std::string node, std::vector<DiscoItem> items) {
  items_[std::move(node)] = [items = std::move(items)](const Element&) {
    return std::optional<std::vector<DiscoItem>>(items);
  };
}

void DiscoResponder::set_items_provider(std::string node, ItemsProvider p) {
  items_[std::move(node)] = std::move(p);
}

std::optional<Element> DiscoResponder::handle(const Element& iq) const {
  if (kind_of(iq) != StanzaKind::iq || iq_type_of(iq) != IqType::get) return std::nullopt;
  const Element* q = iq_payload(iq);
  if (q == nullptr || q->name() != "query") return std::nullopt;
  const std::string_view node = q->attr_or("node");
  const auto not_found = [&] {
    return error_reply(iq, StanzaError::of(StanzaCondition::item_not_found));
  };
  if (q->ns() == ns::kDiscoInfo) {
    auto it = info_.find(node);
    if (it == info_.end()) return not_found();
    auto info = it->second(iq);
    if (!info) return not_found();
    return iq_result(iq, info->to_query(node));
  }
  if (q->ns() == ns::kDiscoItems) {
    auto it = items_.find(node);
    if (it == items_.end()) {
      if (node.empty()) return iq_result(iq, items_query({}));
      return not_found();
    }
    auto items = it->second(iq);
    if (!items) return not_found();
    return iq_result(iq, items_query(*items, node));
  }
  return std::nullopt;
}

}  // namespace conclave::xmpp

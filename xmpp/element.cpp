#include "xmpp/element.h"

#include <algorithm>

namespace conclave::xmpp {

const std::string* Element::attr(std::string_view name) const {
  for (const Attribute& a : attributes_) {
    if (a.name == name) return &a.value;
  }
  return nullptr;
}

std::string_view Element::attr_or(std::string_view name, std::string_view fallback) const {
  const std::string* v = attr(name);
  return v ? std::string_view(*v) : fallback;
}

Element& Element::set_attr(std::string_view name, std::string value) {
  for (Attribute& a : attributes_) {
    if (a.name == name) {
      a.value = std::move(value);
      return *this;
    }
  }
  attributes_.push_back(Attribute{std::string(name), std::move(value)});
  return *this;
}

bool Element::remove_attr(std::string_view name) {
  auto it = std::find_if(attributes_.begin(), attributes_.end(),
                         [&](const Attribute& a) { return a.name == name; });
  if (it == attributes_.end()) return false;
  attributes_.erase(it);
  return true;
}

Element& Element::set_text(std::string text) {
  text_ = std::move(text);
  return *this;
}

std::string Element::text_content() const {
  std::string out = text_;
  for (const Element& c : children_) out += c.tail_;
  return out;
}

Element& Element::add_child(Element child) {
  children_.push_back(std::move(child));
  return children_.back();
}

Element& Element::add_child(std::string name, std::string ns) {
  return add_child(Element(std::move(name), std::move(ns)));
}

const Element* Element::child(std::string_view name, std::string_view ns) const {
  for (const Element& c : children_) {
    if (c.is(name, ns)) return &c;
  }
  return nullptr;
}

Element* Element::child(std::string_view name, std::string_view ns) {
  for (Element& c : children_) {
    if (c.is(name, ns)) return &c;
  }
  return nullptr;
}

std::vector<const Element*> Element::children_named(std::string_view name,
                                                    std::string_view ns) const {
  std::vector<const Element*> out;
  for (const Element& c : children_) {
    if (c.is(name, ns)) out.push_back(&c);
  }
  return out;
}

std::string Element::child_text(std::string_view name, std::string_view ns) const {
  const Element* c = child(name, ns);
  return c ? c->text_content() : std::string();
}

}  // namespace conclave::xmpp

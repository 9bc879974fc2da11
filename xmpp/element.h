#pragma once
// Element: an owned XML element value (name, namespace URI, attributes, text, children).
// Stanzas are small trees handed between layers by value; nothing points into a parser buffer.
#include <string>
#include <string_view>
#include <vector>

namespace conclave::xmpp {

// Attribute names are "local" for unqualified attributes, "xml:local" for the XML namespace
// (xml:lang) and "{uri}local" (Clark notation) for any other namespace.
struct Attribute {
  std::string name;
  std::string value;
  bool operator==(const Attribute&) const = default;
};

class Element {
 public:
  Element() = default;
  Element(std::string name, std::string ns) : name_(std::move(name)), ns_(std::move(ns)) {}

  const std::string& name() const { return name_; }
  const std::string& ns() const { return ns_; }
  bool is(std::string_view name, std::string_view ns) const { return name_ == name && ns_ == ns; }

  // Attributes. attr() returns nullptr when absent; attr_or() the fallback.
  const std::vector<Attribute>& attributes() const { return attributes_; }
  const std::string* attr(std::string_view name) const;
  std::string_view attr_or(std::string_view name, std::string_view fallback = {}) const;
  Element& set_attr(std::string_view name, std::string value);  // replaces an existing one
  bool remove_attr(std::string_view name);

  // Character data: text() is the text before the first child; each child's tail() is the text
  // that follows it, so mixed content keeps its order through a parse/serialize round trip.
  const std::string& text() const { return text_; }
  std::string& mutable_text() { return text_; }
  Element& set_text(std::string text);
  const std::string& tail() const { return tail_; }
  std::string& mutable_tail() { return tail_; }
  std::string text_content() const;  // all direct character data, in order

  // Children.
  const std::vector<Element>& children() const { return children_; }
  std::vector<Element>& children() { return children_; }
  Element& add_child(Element child);  // returns the stored child
  Element& add_child(std::string name, std::string ns);
  const Element* child(std::string_view name, std::string_view ns) const;  // first match or null
  Element* child(std::string_view name, std::string_view ns);
  const Element* first_child() const { return children_.empty() ? nullptr : &children_.front(); }
  std::vector<const Element*> children_named(std::string_view name, std::string_view ns) const;
  std::string child_text(std::string_view name, std::string_view ns) const;  // "" when absent

  bool operator==(const Element&) const = default;

 private:
  std::string name_;
  std::string ns_;
  std::vector<Attribute> attributes_;
  std::string text_;
  std::string tail_;
  std::vector<Element> children_;
};

}  // namespace conclave::xmpp

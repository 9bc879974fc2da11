#include "xmpp/serializer.h"

namespace conclave::xmpp {

namespace {

// The entity standing for `c`, or nullptr where `c` stands as it is. Both contexts escape what
// would start or end markup and '\r', which line-end handling would drop (XML 1.0 §2.11);
// attribute values also escape the quotes and the whitespace that attribute-value
// normalisation would fold into spaces (§3.3.3).
const char* entity_for(char c, bool in_attribute) {
  switch (c) {
    case '&':
      return "&amp;";
    case '<':
      return "&lt;";
    case '>':
      return "&gt;";
    case '\r':
      return "&#13;";
    default:
      break;
  }
  if (!in_attribute) return nullptr;
  switch (c) {
    case '"':
      return "&quot;";
    case '\'':
      return "&apos;";
    case '\t':
      return "&#9;";
    case '\n':
      return "&#10;";
    default:
      return nullptr;
  }
}

void append_escaped(std::string& out, std::string_view s, bool in_attribute) {
  for (char c : s) {
    if (const char* entity = entity_for(c, in_attribute)) {
      out += entity;
    } else {
      out += c;
    }
  }
}

}  // namespace

void append_escaped_text(std::string& out, std::string_view s) { append_escaped(out, s, false); }

void append_escaped_attr(std::string& out, std::string_view s) { append_escaped(out, s, true); }

namespace {

void write_attribute(std::string& out, std::string_view name, std::string_view value) {
  out += ' ';
  out += name;
  out += "='";
  append_escaped_attr(out, value);
  out += '\'';
}

void write_element(const Element& e, std::string& out, std::string_view inherited_ns) {
  out += '<';
  out += e.name();
  if (e.ns() != inherited_ns) write_attribute(out, "xmlns", e.ns());
  int prefix_counter = 0;
  for (const Attribute& a : e.attributes()) {
    if (!a.name.empty() && a.name.front() == '{') {
      // Clark notation: declare a local prefix for the attribute's namespace on this element.
      const auto close = a.name.find('}');
      if (close == std::string::npos) continue;
      // Built with += : GCC 12 -O3 reports a false -Wrestrict on `"a" + std::to_string(...)`.
      std::string prefix = "a";
      prefix += std::to_string(prefix_counter++);
      write_attribute(out, "xmlns:" + prefix, std::string_view(a.name).substr(1, close - 1));
      write_attribute(out, prefix + ":" + a.name.substr(close + 1), a.value);
    } else {
      write_attribute(out, a.name, a.value);
    }
  }
  if (e.text().empty() && e.children().empty()) {
    out += "/>";
    return;
  }
  out += '>';
  append_escaped_text(out, e.text());
  for (const Element& c : e.children()) {
    write_element(c, out, e.ns());
    append_escaped_text(out, c.tail());
  }
  out += "</";
  out += e.name();
  out += '>';
}

}  // namespace

void serialize(const Element& e, std::string& out, std::string_view inherited_ns) {
  write_element(e, out, inherited_ns);
}

std::string to_string(const Element& e, std::string_view inherited_ns) {
  std::string out;
  out.reserve(256);
  serialize(e, out, inherited_ns);
  return out;
}

}  // namespace conclave::xmpp

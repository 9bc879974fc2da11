#include "xmpp/serializer.h"

namespace conclave::xmpp {

void append_escaped_text(std::string& out, std::string_view s) {
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '\r':
        out += "&#13;";
        break;
      default:
        out += c;
    }
  }
}

void append_escaped_attr(std::string& out, std::string_view s) {
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      case '\t':
        out += "&#9;";
        break;
      case '\n':
        out += "&#10;";
        break;
      case '\r':
        out += "&#13;";
        break;
      default:
        out += c;
    }
  }
}

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

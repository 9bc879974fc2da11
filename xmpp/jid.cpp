#include "xmpp/jid.h"

#include <idn-free.h>
#include <idna.h>
#include <stringprep.h>

#include <cstring>
#include <vector>

namespace conclave::xmpp {

bool is_valid_utf8(std::string_view s) {
  std::size_t i = 0;
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const std::size_t n = s.size();
  while (i < n) {
    const unsigned char c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t len;
    unsigned int cp;
    if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (n - i < len) return false;
    for (std::size_t k = 1; k < len; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[i + k] & 0x3F);
    }
    constexpr unsigned int kMin[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

namespace {

// Runs a stringprep profile; empty result or failure is an error. Unassigned code points are
// allowed, as Prosody and ejabberd allow them in addresses they route.
Result<std::string> prep(std::string_view in, const Stringprep_profile* profile) {
  if (in.empty()) return fail(Errc::invalid_jid);
  // Preparation maps at most a few code points to several; anything this long cannot fit.
  if (in.size() > 4 * kMaxJidPartBytes) return fail(Errc::jid_part_too_long);
  if (!is_valid_utf8(in) || in.find('\0') != std::string_view::npos) {
    return fail(Errc::invalid_jid);
  }
  std::vector<char> buf(in.size() * 4 + 16);
  for (int attempt = 0; attempt < 3; ++attempt) {
    std::memcpy(buf.data(), in.data(), in.size());
    buf[in.size()] = '\0';
    const int rc =
        stringprep(buf.data(), buf.size(), static_cast<Stringprep_profile_flags>(0), profile);
    if (rc == STRINGPREP_OK) {
      std::string out(buf.data());
      if (out.empty()) return fail(Errc::invalid_jid);
      if (out.size() > kMaxJidPartBytes) return fail(Errc::jid_part_too_long);
      return out;
    }
    if (rc != STRINGPREP_TOO_SMALL_BUFFER) return fail(Errc::invalid_jid);
    buf.resize(buf.size() * 2);
  }
  return fail(Errc::invalid_jid);
}

Result<std::string> prep_domain(std::string_view in) {
  // RFC 7622 §3.2: one trailing dot is stripped before any other processing.
  if (!in.empty() && in.back() == '.') in.remove_suffix(1);
  if (in.empty()) return fail(Errc::invalid_jid);
  if (in.front() == '[') {
    // IPv6 literal (RFC 7622 §3.2.1): keep as is, lower-cased; only hex digits, ':' and '.'.
    if (in.size() < 3 || in.back() != ']') return fail(Errc::invalid_jid);
    std::string out;
    for (char c : in.substr(1, in.size() - 2)) {
      const char l = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
      const bool ok = (l >= '0' && l <= '9') || (l >= 'a' && l <= 'f') || l == ':' || l == '.';
      if (!ok) return fail(Errc::invalid_jid);
      out += l;
    }
    return "[" + out + "]";
  }
  auto prepped = prep(in, stringprep_nameprep);
  if (!prepped) return prepped;
  // Every label must be non-empty and acceptable to IDNA ToASCII with the STD3 rules
  // (letters, digits, hyphen; at most 63 octets), as Prosody checks.
  std::string_view rest = *prepped;
  while (true) {
    const auto dot = rest.find('.');
    if (rest.substr(0, dot).empty()) return fail(Errc::invalid_jid);
    if (dot == std::string_view::npos) break;
    rest.remove_prefix(dot + 1);
  }
  char* ascii = nullptr;
  const int rc = idna_to_ascii_8z(prepped->c_str(), &ascii, IDNA_USE_STD3_ASCII_RULES);
  if (ascii != nullptr) idn_free(ascii);
  if (rc != IDNA_SUCCESS) return fail(Errc::invalid_jid);
  return prepped;
}

}  // namespace

Result<Jid> Jid::from_parts(std::string_view node, std::string_view domain,
                            std::string_view resource) {
  Jid j;
  auto d = prep_domain(domain);
  if (!d) return fail(d.error());
  j.domain_ = std::move(*d);
  if (!node.empty()) {
    auto n = prep(node, stringprep_xmpp_nodeprep);
    if (!n) return fail(n.error());
    j.node_ = std::move(*n);
  }
  if (!resource.empty()) {
    auto r = prep(resource, stringprep_xmpp_resourceprep);
    if (!r) return fail(r.error());
    j.resource_ = std::move(*r);
  }
  return j;
}

Result<Jid> Jid::parse(std::string_view text) {
  // RFC 7622 §3.1: the resource is everything after the first '/', the node everything before
  // the first '@' that precedes it. Separators present with an empty part are errors.
  std::string_view resource;
  const auto slash = text.find('/');
  if (slash != std::string_view::npos) {
    resource = text.substr(slash + 1);
    if (resource.empty()) return fail(Errc::invalid_jid);
    text = text.substr(0, slash);
  }
  std::string_view node;
  const auto at = text.find('@');
  if (at != std::string_view::npos) {
    node = text.substr(0, at);
    if (node.empty()) return fail(Errc::invalid_jid);
    text = text.substr(at + 1);
  }
  return from_parts(node, text, resource);
}

Jid Jid::bare() const {
  Jid j = *this;
  j.resource_.clear();
  return j;
}

Result<Jid> Jid::with_resource(std::string_view resource) const {
  if (resource.empty()) return bare();
  auto r = prep(resource, stringprep_xmpp_resourceprep);
  if (!r) return fail(r.error());
  Jid j = *this;
  j.resource_ = std::move(*r);
  return j;
}

std::string Jid::bare_string() const {
  if (node_.empty()) return domain_;
  std::string out;
  out.reserve(node_.size() + 1 + domain_.size());
  out += node_;
  out += '@';
  out += domain_;
  return out;
}

std::string Jid::full() const {
  std::string out = bare_string();
  if (!resource_.empty()) {
    out += '/';
    out += resource_;
  }
  return out;
}

}  // namespace conclave::xmpp

#include "component/federation/consensus_wire.h"

#include <charconv>
#include <limits>
#include <string_view>

#include "base/base64.h"

namespace conclave::component::federation {

namespace {

std::string num(std::uint64_t v) { return std::to_string(v); }

bool fail(WireError* error, std::string what) {
  if (error != nullptr) error->what = std::move(what);
  return false;
}

// A plain decimal without sign, leading zeros (but "0") or spaces, at most 2^63 - 1: one value,
// one text, and no overflow in the arithmetic of the consensus.
bool read_u64(const xmpp::Element& e, std::string_view name, std::uint64_t& out, WireError* error) {
  const std::string* v = e.attr(name);
  if (v == nullptr) return fail(error, std::string(name) + " missing");
  if (v->empty() || (v->size() > 1 && (*v)[0] == '0'))
    return fail(error, std::string(name) + " malformed");
  const auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), out);
  if (ec != std::errc() || end != v->data() + v->size() ||
      out > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    return fail(error, std::string(name) + " malformed");
  }
  return true;
}

bool read_bool(const xmpp::Element& e, std::string_view name, bool& out, WireError* error,
               bool optional = false) {
  const std::string* v = e.attr(name);
  if (v == nullptr && optional) {
    out = false;
    return true;
  }
  if (v == nullptr) return fail(error, std::string(name) + " missing");
  if (*v != "true" && *v != "false") return fail(error, std::string(name) + " malformed");
  out = *v == "true";
  return true;
}

std::optional<Message> decode_append(const xmpp::Element& p, Message m, WireError* error) {
  Append& a = m.append;
  if (!read_u64(p, "term", a.term, error) || !read_u64(p, "prev-index", a.prev_index, error) ||
      !read_u64(p, "prev-term", a.prev_term, error) ||
      !read_u64(p, "commit-index", a.commit_index, error)) {
    return std::nullopt;
  }
  if (p.text_content().find_first_not_of(" \t\r\n") != std::string::npos) {
    fail(error, "text in <append/>");  // whitespace between entries is fine
    return std::nullopt;
  }
  for (const xmpp::Element& c : p.children()) {
    if (!c.is("entry", kFederationNs) || !c.children().empty()) {
      fail(error, "unexpected <" + c.name() + "/> in <append/>");
      return std::nullopt;
    }
    if (a.entries.size() == kMaxWireEntries) {
      fail(error, "more than " + num(kMaxWireEntries) + " entries");
      return std::nullopt;
    }
    LogEntry entry;
    if (!read_u64(c, "term", entry.term, error)) return std::nullopt;
    auto bytes = base64_decode(c.text());
    if (!bytes || bytes->size() > kMaxHashBytes) {
      fail(error, "entry hash malformed");
      return std::nullopt;
    }
    entry.commit = std::move(*bytes);
    a.entries.push_back(std::move(entry));
  }
  if (a.prev_index >
      static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) - a.entries.size()) {
    fail(error, "prev-index out of range");
    return std::nullopt;
  }
  return m;
}

}  // namespace

bool is_consensus_payload(const xmpp::Element& e) {
  return e.ns() == kFederationNs && (e.name() == "vote-request" || e.name() == "vote" ||
                                     e.name() == "append" || e.name() == "append-ack");
}

xmpp::Element encode(const Message& m) {
  switch (m.kind) {
    case Message::Kind::vote_request: {
      xmpp::Element e("vote-request", std::string(kFederationNs));
      e.set_attr("term", num(m.vote_request.term));
      e.set_attr("last-index", num(m.vote_request.last_index));
      e.set_attr("last-term", num(m.vote_request.last_term));
      if (m.vote_request.pre) e.set_attr("pre", "true");
      return e;
    }
    case Message::Kind::vote_reply: {
      xmpp::Element e("vote", std::string(kFederationNs));
      e.set_attr("term", num(m.vote_reply.term));
      e.set_attr("granted", m.vote_reply.granted ? "true" : "false");
      if (m.vote_reply.pre) e.set_attr("pre", "true");
      return e;
    }
    case Message::Kind::append: {
      xmpp::Element e("append", std::string(kFederationNs));
      e.set_attr("term", num(m.append.term));
      e.set_attr("prev-index", num(m.append.prev_index));
      e.set_attr("prev-term", num(m.append.prev_term));
      e.set_attr("commit-index", num(m.append.commit_index));
      for (const LogEntry& entry : m.append.entries) {
        e.add_child("entry", std::string(kFederationNs))
            .set_attr("term", num(entry.term))
            .set_text(base64_encode(entry.commit));
      }
      return e;
    }
    case Message::Kind::append_reply: {
      xmpp::Element e("append-ack", std::string(kFederationNs));
      e.set_attr("term", num(m.append_reply.term));
      e.set_attr("success", m.append_reply.success ? "true" : "false");
      e.set_attr("match-index", num(m.append_reply.match_index));
      return e;
    }
  }
  return {};
}

std::optional<Message> decode(const xmpp::Element& p, const NodeId& from, const NodeId& to,
                              WireError* error) {
  if (!is_consensus_payload(p)) {
    fail(error, "not a consensus message");
    return std::nullopt;
  }
  Message m;
  m.from = from;
  m.to = to;
  if (p.name() == "append") {
    m.kind = Message::Kind::append;
    return decode_append(p, std::move(m), error);
  }
  if (!p.children().empty()) {
    fail(error, "<" + p.name() + "/> has children");
    return std::nullopt;
  }
  bool ok = false;
  if (p.name() == "vote-request") {
    m.kind = Message::Kind::vote_request;
    ok = read_u64(p, "term", m.vote_request.term, error) &&
         read_u64(p, "last-index", m.vote_request.last_index, error) &&
         read_u64(p, "last-term", m.vote_request.last_term, error) &&
         read_bool(p, "pre", m.vote_request.pre, error, true);
  } else if (p.name() == "vote") {
    m.kind = Message::Kind::vote_reply;
    ok = read_u64(p, "term", m.vote_reply.term, error) &&
         read_bool(p, "granted", m.vote_reply.granted, error) &&
         read_bool(p, "pre", m.vote_reply.pre, error, true);
  } else {
    m.kind = Message::Kind::append_reply;
    ok = read_u64(p, "term", m.append_reply.term, error) &&
         read_bool(p, "success", m.append_reply.success, error) &&
         read_u64(p, "match-index", m.append_reply.match_index, error);
  }
  if (!ok) return std::nullopt;
  return m;
}

}  // namespace conclave::component::federation

// libFuzzer target: the mirrors' consensus messages as a peer server may send them
// (component/federation/consensus_wire.h). Each stanza of the input stream is decoded; what
// decodes must encode and decode again to the same message, and nothing may crash.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <variant>
#include <vector>

#include "component/federation/consensus_wire.h"
#include "xmpp/stream_parser.h"

namespace {

using conclave::component::federation::decode;
using conclave::component::federation::encode;
using conclave::component::federation::Message;

constexpr std::string_view kHeader =
    "<?xml version='1.0'?><stream:stream xmlns='jabber:component:accept' "
    "xmlns:stream='http://etherx.jabber.org/streams' id='fuzz'>";

void check(bool ok) {
  if (!ok) std::abort();
}

bool same(const Message& x, const Message& y) {
  return x.kind == y.kind && x.vote_request.term == y.vote_request.term &&
         x.vote_request.last_index == y.vote_request.last_index &&
         x.vote_request.last_term == y.vote_request.last_term &&
         x.vote_request.pre == y.vote_request.pre && x.vote_reply.pre == y.vote_reply.pre &&
         x.vote_reply.term == y.vote_reply.term && x.vote_reply.granted == y.vote_reply.granted &&
         x.append.term == y.append.term && x.append.prev_index == y.append.prev_index &&
         x.append.prev_term == y.append.prev_term &&
         x.append.commit_index == y.append.commit_index && x.append.entries == y.append.entries &&
         x.append_reply.term == y.append_reply.term &&
         x.append_reply.success == y.append_reply.success &&
         x.append_reply.match_index == y.append_reply.match_index;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  conclave::xmpp::ParserLimits limits;
  limits.max_stanza_bytes = 16 * 1024;
  conclave::xmpp::StreamParser parser(limits);
  std::vector<conclave::xmpp::StreamEvent> events;
  parser.feed(kHeader, events);
  parser.feed(std::string_view(reinterpret_cast<const char*>(data), size), events);
  for (const auto& e : events) {
    const auto* st = std::get_if<conclave::xmpp::StanzaReceived>(&e);
    if (st == nullptr) continue;
    for (const auto& payload : st->stanza.children()) {
      auto m = decode(payload, "a@m.a", "b@m.b");
      if (!m) continue;
      auto again = decode(encode(*m), "a@m.a", "b@m.b");
      check(again.has_value() && same(*m, *again));
    }
  }
  return 0;
}

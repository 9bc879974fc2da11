// libFuzzer target: the XMPP stream parser (xmpp/stream_parser.h) on hostile bytes.
// The input is fed after a valid stream header, in chunks whose sizes come from the input
// itself (so the fuzzer explores split points), with small limits so limit paths are reached.
// Checks: no crash or sanitizer report, exactly one terminal event at most, nothing after it,
// and Expat's memory never above its cap.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <variant>
#include <vector>

#include "xmpp/serializer.h"
#include "xmpp/stream_parser.h"

namespace {

constexpr std::string_view kHeader =
    "<?xml version='1.0'?><stream:stream xmlns='jabber:component:accept' "
    "xmlns:stream='http://etherx.jabber.org/streams' id='fuzz'>";

void check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  conclave::xmpp::ParserLimits limits;
  limits.max_stanza_bytes = 4096;
  limits.max_depth = 8;
  limits.max_attributes = 8;
  limits.max_elements = 64;
  const std::size_t cap = 4 * limits.max_stanza_bytes + 256 * 1024;
  conclave::xmpp::StreamParser parser(limits);

  // First byte: the chunk size pattern seed; the rest is stream content.
  const std::uint8_t seed = data[0];
  std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  std::vector<conclave::xmpp::StreamEvent> events;
  parser.feed(kHeader, events);
  check(events.size() == 1 && std::holds_alternative<conclave::xmpp::StreamOpened>(events[0]));

  std::size_t i = 0;
  while (!rest.empty()) {
    // Chunk length 1..16 from the seed and position (split points vary with the input).
    const std::size_t n = std::min<std::size_t>(rest.size(), 1 + ((seed + i * 7) % 16));
    parser.feed(rest.substr(0, n), events);
    rest.remove_prefix(n);
    ++i;
    check(parser.peak_parser_memory() <= cap);
    check(parser.pending_bytes() <= limits.max_stanza_bytes + 16 + 1);
  }

  std::size_t terminal = 0;
  for (std::size_t k = 0; k < events.size(); ++k) {
    const auto& e = events[k];
    if (std::holds_alternative<conclave::xmpp::StreamFailed>(e) ||
        std::holds_alternative<conclave::xmpp::StreamClosed>(e)) {
      ++terminal;
      check(k == events.size() - 1);  // nothing after the end of the stream
    }
    if (const auto* s = std::get_if<conclave::xmpp::StanzaReceived>(&e)) {
      // Every delivered stanza serializes (no invalid state inside the tree).
      check(!conclave::xmpp::to_string(s->stanza).empty());
    }
  }
  check(terminal <= 1);
  return 0;
}

#pragma once
// StreamParser: an XMPP stream (RFC 6120 §4) over Expat, turning bytes into owned events.
// One parser lives for a whole component connection (XEP-0114 has no stream restart).
// It never throws on input: hostile input ends in a StreamFailed event carrying the stream error
// condition to send, after which further input is ignored. Memory stays bounded by the limits.
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "xmpp/element.h"
#include "xmpp/stream_error.h"

namespace conclave::xmpp {

struct ParserLimits {
  std::size_t max_stanza_bytes = 256 * 1024;  // one stanza, and anything pending between stanzas
  std::size_t max_depth = 32;                 // element nesting inside one stanza
  std::size_t max_attributes = 64;            // attributes on one element
  std::size_t max_elements = 4096;            // elements in one stanza
  // Hard cap on Expat's own allocations; 0 means 4 * max_stanza_bytes + 256 KiB.
  std::size_t max_parser_memory = 0;
};

// The opening <stream:stream> tag: name "stream", namespace http://etherx.jabber.org/streams,
// its attributes (id, from, to, version, xml:lang), and the default namespace it declared.
struct StreamOpened {
  Element header;
  std::string content_ns;
};
struct StanzaReceived {
  Element stanza;  // any top-level child of the stream, <stream:error/> included
};
struct StreamClosed {};
struct StreamFailed {
  StreamCondition condition;  // what to send in <stream:error/>
  std::string detail;         // for logs only
};
using StreamEvent = std::variant<StreamOpened, StanzaReceived, StreamClosed, StreamFailed>;

class StreamParser {
 public:
  explicit StreamParser(ParserLimits limits = {});
  ~StreamParser();
  StreamParser(const StreamParser&) = delete;
  StreamParser& operator=(const StreamParser&) = delete;

  // Parses `data`, appending events to `out`. After StreamClosed or StreamFailed, input is ignored.
  void feed(std::string_view data, std::vector<StreamEvent>& out);
  std::vector<StreamEvent> feed(std::string_view data);

  // Forgets everything and expects a new stream header (a new TCP connection).
  void reset();

  bool finished() const;              // closed or failed
  std::size_t parser_memory() const;  // bytes Expat holds now
  std::size_t peak_parser_memory() const;
  std::size_t pending_bytes() const;  // bytes of the stanza being assembled

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace conclave::xmpp

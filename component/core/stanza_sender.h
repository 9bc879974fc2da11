#pragma once
// StanzaSender: where the room service puts outgoing stanzas. main.cpp wires it to the XEP-0114
// connection; unit tests record what was sent.
#include <string>
#include <vector>

#include "xmpp/element.h"

namespace conclave::component {

class StanzaSender {
 public:
  virtual ~StanzaSender() = default;
  virtual void send(xmpp::Element stanza) = 0;
  // send_to_each: every stanza of `stanzas` to each JID in `to`, recipient by recipient, each
  // copy's `to` set to that JID (a room's fan-out). A recipient gets the stanzas in order; the
  // copies for one recipient are adjacent on the wire, so the server can write them to that
  // client's socket at once. The connection serializes each stanza once for all recipients;
  // this default sends one copy at a time.
  virtual void send_to_each(std::vector<xmpp::Element> stanzas, std::vector<std::string> to) {
    for (const std::string& t : to) {
      for (const xmpp::Element& s : stanzas) {
        xmpp::Element copy = s;
        copy.set_attr("to", t);
        send(std::move(copy));
      }
    }
  }
};

}  // namespace conclave::component

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
  // send_to_each: a copy of `stanza` to each JID in `to`, in order, its `to` set to that JID (a
  // room's fan-out). The connection serializes the stanza once for all of them; this default
  // sends one copy at a time.
  virtual void send_to_each(const xmpp::Element& stanza, std::vector<std::string> to) {
    for (std::string& t : to) {
      xmpp::Element copy = stanza;
      copy.set_attr("to", std::move(t));
      send(std::move(copy));
    }
  }
};

}  // namespace conclave::component

#pragma once
// StanzaSender: where the room service puts outgoing stanzas. main.cpp wires it to the XEP-0114
// connection; unit tests record what was sent.
#include "xmpp/element.h"

namespace conclave::component {

class StanzaSender {
 public:
  virtual ~StanzaSender() = default;
  virtual void send(xmpp::Element stanza) = 0;
};

}  // namespace conclave::component

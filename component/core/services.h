#pragma once
// Services: what every part of the component takes from the process around it: where stanzas
// go, where blocking store calls run, the clock, unique ids and the log. main.cpp (app/) fills
// one and hands copies to the room service and the delivery service, so they share one clock
// and one log; unit tests fill one with fakes. Each module's own environment (muc::RoomEnv,
// ds::DsEnv) extends it with that module's stores and settings.
#include <functional>
#include <string>
#include <string_view>

#include "component/core/blocking_runner.h"
#include "component/core/log.h"
#include "component/core/stanza_sender.h"
#include "component/core/stanza_util.h"

namespace conclave::component {

struct Services {
  StanzaSender* out = nullptr;
  BlockingRunner* runner = nullptr;
  std::function<TimePoint()> now;       // injectable clock
  std::function<std::string()> new_id;  // XEP-0359 stanza ids and iq ids; unique
  // One log line at a level (never a secret or a message body). Unset: nothing is logged.
  std::function<void(LogLevel level, const std::string& line)> log;
};

}  // namespace conclave::component

#pragma once
// Services: what every part of the component takes from the process around it: where stanzas
// go, where blocking store calls run, the clock, unique ids and the log. There is one per
// process: main.cpp (app/) creates it and gives the room service and the delivery service a
// pointer to it (RoomEnv::services, ds::DsEnv::services), so they cannot drift apart onto two
// clocks or two logs; unit tests create one with fakes. Each module's own environment holds its
// stores and settings beside that pointer. The Services must outlive every user of it.
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

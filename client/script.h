#pragma once
// The script mode of conclave-client: one JSON request per line in, one JSON object per line out
// (answers and events). See client/README.md for the operations.
#include <cstdio>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "client/client.h"
#include "client/welcome_tree.h"

namespace conclave::client {

struct ScriptRequest {
  std::string op;
  std::string room;
  std::string jid;
  std::string text;
  std::size_t count = 0;                    // publish: how many key packages
  std::int64_t lifetime = 0;                // publish: their lifetime in seconds (0: the client's)
  std::int64_t ms = 0;                      // wait: how long to pump
  nlohmann::json id;                        // echoed back in the answer when present
  std::optional<WelcomeTree> welcome_tree;  // invite: "auto", "always" or "never"
  bool open = false;                        // create: an open room, not members-only
  std::string device;                       // retire_device: which of our devices
};

// parse_request parses one line. Errc::invalid_request for anything but a JSON object with a
// known "op" and the fields that op needs (string room/jid/text, non-negative count/ms/lifetime,
// and for invite an optional welcome_tree of "auto", "always" or "never"; for create an optional
// boolean "open").
Result<ScriptRequest> parse_request(std::string_view line);

// event_json renders an event: {"event":type,"room":…,"epoch":…,…} (empty fields left out).
nlohmann::json event_json(const Event& e);

// error_json renders a failed request: {"ok":false,"op":…,"error":name,"message":…} with the
// stanza error ("condition", "app_condition", "current_epoch") when the service refused.
nlohmann::json error_json(const ScriptRequest& r, std::error_code e,
                          const std::optional<ServiceError>& stanza_error);

// run_request executes `r` on the client and returns its answer ({"ok":true,"op":…,…}).
// "quit" is answered here too; the caller stops reading afterwards.
nlohmann::json run_request(Client& c, const ScriptRequest& r);

// run_script reads requests from `in_fd` until EOF or "quit", handling received stanzas between
// lines, and writes answers and events to `out`, one line each, flushed at once. Returns the
// process exit status (0, or 1 when the connection was lost).
int run_script(Client& c, int in_fd, std::FILE* out);

}  // namespace conclave::client

#pragma once
// Ad-Hoc Commands (XEP-0050): a registry of commands with multi-stage sessions.
//
// A command has a node, a name, a permission check and a handler. The registry answers
// disco#items on the commands node (only the commands the requester may run), disco#info on each
// command node, and executes <command/> IQs: it creates sessions, checks sessionid, owner and
// allowed actions, keeps stage numbers for next/prev, and expires idle sessions.
//
// Handler contract: ctx.stage is the stage asked about. Without ctx.submitted (execute or prev),
// render that stage. With ctx.submitted (next or complete), process the stage shown and answer
// with the next stage's form (status executing) or the outcome (completed).
//
// A handler whose outcome needs blocking work (a store write) returns CommandResponse::later()
// and calls ctx.finish once with the outcome when the work is done; the registry answers the
// IQ then. A deferred outcome ends the session: it must be completed or an error.
#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "xmpp/data_form.h"
#include "xmpp/element.h"
#include "xmpp/jid.h"
#include "xmpp/stanza.h"

namespace conclave::xmpp {

enum class CommandAction { execute, next, prev, complete, cancel };
enum class CommandStatus { executing, completed, canceled };
enum class NoteType { info, warn, error };

std::string_view to_string(CommandAction a);
std::string_view to_string(CommandStatus s);
std::optional<CommandAction> command_action_from(std::string_view s);

struct CommandNote {
  NoteType type = NoteType::info;
  std::string text;
};

struct CommandResponse;

struct CommandContext {
  Jid requester;  // full JID of whoever runs the command
  std::string node;
  std::string sessionid;
  CommandAction action = CommandAction::execute;
  std::size_t stage = 0;
  std::optional<DataForm> submitted;
  std::map<std::string, std::string>& state;  // per-session scratch the handler may keep
  // For a handler that returned CommandResponse::later(): call once with the outcome. It owns
  // everything it needs (the registry and the session may be gone by then).
  std::function<void(CommandResponse)> finish;
};

struct CommandResponse {
  CommandStatus status = CommandStatus::completed;
  std::optional<DataForm> form;
  std::vector<CommandNote> notes;
  std::vector<CommandAction> actions;  // offered while executing: prev, next, complete
  CommandAction default_action = CommandAction::next;
  std::optional<StanzaError> error;  // answer this request with an error; the session stays
  bool deferred = false;             // the outcome comes later through ctx.finish

  static CommandResponse stage(DataForm form, std::vector<CommandAction> actions,
                               CommandAction default_action);
  static CommandResponse completed(std::vector<CommandNote> notes = {},
                                   std::optional<DataForm> result = std::nullopt);
  static CommandResponse failed(StanzaError e);
  static CommandResponse later();
};

using CommandHandler = std::function<CommandResponse(CommandContext&)>;
using CommandPermission = std::function<bool(const Jid& requester)>;
using CommandReply = std::function<void(Element)>;

struct Command {
  std::string node;
  std::string name;
  CommandPermission allowed;  // empty: everyone
  CommandHandler handler;
};

struct CommandRegistryConfig {
  std::chrono::seconds session_timeout{600};
  std::size_t max_sessions = 1000;
  std::function<std::chrono::steady_clock::time_point()> now;  // injectable clock
  std::function<std::string()> new_session_id;                 // injectable ids
};

class CommandRegistry {
 public:
  explicit CommandRegistry(CommandRegistryConfig config = {});

  void add(Command command);  // replaces a command with the same node

  // handle: a disco request about commands or a <command/> IQ. Returns false for anything else.
  // The answer goes to `reply`, at once or, for a deferred command, when it finishes.
  bool handle(const Element& iq, const CommandReply& reply);
  // The same for registries whose commands never defer: the answer, or nullopt when the
  // stanza is not for the registry (or a command deferred).
  std::optional<Element> handle(const Element& iq);

  std::size_t session_count() const { return sessions_.size(); }

 private:
  struct Session {
    std::string node;
    Jid owner;
    std::size_t stage = 0;
    std::vector<CommandAction> actions;
    CommandAction default_action = CommandAction::next;
    std::map<std::string, std::string> state;
    std::chrono::steady_clock::time_point expires;
  };

  std::optional<Element> handle_disco(const Element& iq, const Element& query);
  // execute: nullopt when the handler deferred (its answer goes to `reply` later).
  std::optional<Element> execute(const Element& iq, const Element& cmd, const CommandReply& reply);
  void expire(std::chrono::steady_clock::time_point now);
  const Command* find(std::string_view node) const;
  bool may_run(const Command& c, const Jid& who) const;

  CommandRegistryConfig config_;
  std::vector<Command> commands_;
  std::map<std::string, Session, std::less<>> sessions_;
  std::deque<std::string> expired_;  // recently expired ids, to answer session-expired
};

}  // namespace conclave::xmpp

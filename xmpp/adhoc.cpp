#include "xmpp/adhoc.h"

#include <algorithm>
#include <memory>
#include <random>

#include "xmpp/disco.h"
#include "xmpp/namespaces.h"

namespace conclave::xmpp {
namespace {

const std::string kCmdNs(ns::kCommands);

Element app_error(std::string_view name) { return Element(std::string(name), kCmdNs); }

Element error_with(const Element& iq, StanzaCondition c, std::string_view app = {}) {
  StanzaError e = StanzaError::of(c);
  if (!app.empty()) e.with(app_error(app));
  // A <command/> IQ is type set, never error, so a reply always exists.
  return error_reply(iq, e).value_or(Element{});
}

std::string_view note_type(NoteType t) {
  switch (t) {
    case NoteType::info:
      return "info";
    case NoteType::warn:
      return "warn";
    case NoteType::error:
      return "error";
  }
  return "info";
}

}  // namespace

std::string_view to_string(CommandAction a) {
  switch (a) {
    case CommandAction::execute:
      return "execute";
    case CommandAction::next:
      return "next";
    case CommandAction::prev:
      return "prev";
    case CommandAction::complete:
      return "complete";
    case CommandAction::cancel:
      return "cancel";
  }
  return "execute";
}

std::string_view to_string(CommandStatus s) {
  switch (s) {
    case CommandStatus::executing:
      return "executing";
    case CommandStatus::completed:
      return "completed";
    case CommandStatus::canceled:
      return "canceled";
  }
  return "completed";
}

std::optional<CommandAction> command_action_from(std::string_view s) {
  for (CommandAction a : {CommandAction::execute, CommandAction::next, CommandAction::prev,
                          CommandAction::complete, CommandAction::cancel}) {
    if (to_string(a) == s) return a;
  }
  return std::nullopt;
}

CommandResponse CommandResponse::stage(DataForm form, std::vector<CommandAction> actions,
                                       CommandAction default_action) {
  CommandResponse r;
  r.status = CommandStatus::executing;
  r.form = std::move(form);
  r.actions = std::move(actions);
  r.default_action = default_action;
  return r;
}

CommandResponse CommandResponse::completed(std::vector<CommandNote> notes,
                                           std::optional<DataForm> result) {
  CommandResponse r;
  r.status = CommandStatus::completed;
  r.notes = std::move(notes);
  r.form = std::move(result);
  return r;
}

CommandResponse CommandResponse::failed(StanzaError e) {
  CommandResponse r;
  r.error = std::move(e);
  return r;
}

CommandResponse CommandResponse::later() {
  CommandResponse r;
  r.deferred = true;
  return r;
}

CommandRegistry::CommandRegistry(CommandRegistryConfig config) : config_(std::move(config)) {
  if (!config_.now) config_.now = [] { return std::chrono::steady_clock::now(); };
  if (!config_.new_session_id) {
    config_.new_session_id = [rng = std::mt19937_64(std::random_device{}())]() mutable {
      static constexpr char kHex[] = "0123456789abcdef";
      std::string id;
      for (int i = 0; i < 2; ++i) {
        std::uint64_t v = rng();
        for (int k = 0; k < 16; ++k, v >>= 4) id += kHex[v & 0xF];
      }
      return id;
    };
  }
}

void CommandRegistry::add(Command command) {
  for (Command& c : commands_) {
    if (c.node == command.node) {
      c = std::move(command);
      return;
    }
  }
  commands_.push_back(std::move(command));
}

const Command* CommandRegistry::find(std::string_view node) const {
  for (const Command& c : commands_) {
    if (c.node == node) return &c;
  }
  return nullptr;
}

bool CommandRegistry::may_run(const Command& c, const Jid& who) const {
  return !c.allowed || c.allowed(who);
}

bool CommandRegistry::handle(const Element& iq, const CommandReply& reply) {
  if (kind_of(iq) != StanzaKind::iq) return false;
  const Element* payload = iq_payload(iq);
  if (payload == nullptr) return false;
  if (iq_type_of(iq) == IqType::get && payload->name() == "query") {
    auto answer = handle_disco(iq, *payload);
    if (!answer) return false;
    reply(std::move(*answer));
    return true;
  }
  if (iq_type_of(iq) == IqType::set && payload->is("command", ns::kCommands)) {
    if (auto answer = execute(iq, *payload, reply)) reply(std::move(*answer));
    return true;
  }
  return false;
}

std::optional<Element> CommandRegistry::handle(const Element& iq) {
  // Shared, so that a command deferring against the contract writes nowhere dangling.
  auto answer = std::make_shared<std::optional<Element>>();
  handle(iq, [answer](Element e) { *answer = std::move(e); });
  return std::move(*answer);
}

std::optional<Element> CommandRegistry::handle_disco(const Element& iq, const Element& query) {
  const std::string_view node = query.attr_or("node");
  auto who = from_jid(iq);
  if (query.ns() == ns::kDiscoItems && node == ns::kCommands) {
    // XEP-0050 §2.2: list only what this requester may execute.
    std::vector<DiscoItem> items;
    if (who) {
      for (const Command& c : commands_) {
        if (may_run(c, *who)) items.push_back(DiscoItem{std::string(to_of(iq)), c.node, c.name});
      }
    }
    return iq_result(iq, items_query(items, node));
  }
  if (query.ns() == ns::kDiscoInfo) {
    const Command* c = find(node);
    if (c == nullptr) return std::nullopt;
    // Commands the requester may not run are not revealed.
    if (!who || !may_run(*c, *who)) {
      return error_reply(iq, StanzaError::of(StanzaCondition::item_not_found));
    }
    DiscoInfo info;  // XEP-0050 §2.3
    info.identities.push_back(DiscoIdentity{"automation", "command-node", c->name, {}});
    info.add_feature(ns::kCommands);
    info.add_feature(ns::kDataForms);
    return iq_result(iq, info.to_query(node));
  }
  return std::nullopt;
}

void CommandRegistry::expire(std::chrono::steady_clock::time_point now) {
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    if (it->second.expires <= now) {
      expired_.push_back(it->first);
      if (expired_.size() > config_.max_sessions) expired_.pop_front();
      it = sessions_.erase(it);
    } else {
      ++it;
    }
  }
}

namespace {

// The status, notes and form of a response, after any <actions/> as XEP-0050 orders them.
void add_outcome(Element& reply_cmd, const CommandResponse& r) {
  reply_cmd.set_attr("status", std::string(to_string(r.status)));
  for (const CommandNote& n : r.notes) {
    reply_cmd.add_child("note", kCmdNs)
        .set_attr("type", std::string(note_type(n.type)))
        .set_text(n.text);
  }
  if (r.form) reply_cmd.add_child(r.form->to_element());
}

// The answer to a command that finished: completed (with its notes and result form) or an
// error. Shared by immediate and deferred outcomes; needs no session.
Element finished_reply(const Element& iq, const std::string& node, const std::string& session_id,
                       const CommandResponse& r) {
  if (r.error) return error_reply(iq, *r.error).value_or(Element{});
  Element reply_cmd("command", kCmdNs);
  reply_cmd.set_attr("node", node).set_attr("sessionid", session_id);
  add_outcome(reply_cmd, r);
  return iq_result(iq, std::move(reply_cmd));
}

}  // namespace

std::optional<Element> CommandRegistry::execute(const Element& iq, const Element& cmd,
                                                const CommandReply& reply) {
  const std::string node(cmd.attr_or("node"));
  const std::string* sid = cmd.attr("sessionid");
  CommandAction action = CommandAction::execute;
  if (const std::string* a = cmd.attr("action")) {
    auto parsed = command_action_from(*a);
    if (!parsed) return error_with(iq, StanzaCondition::bad_request, "malformed-action");
    action = *parsed;
  }
  const Command* command = find(node);
  if (command == nullptr) return error_with(iq, StanzaCondition::item_not_found);
  auto who = from_jid(iq);
  if (!who) return error_with(iq, StanzaCondition::jid_malformed);
  if (!may_run(*command, *who)) return error_with(iq, StanzaCondition::forbidden);

  const auto now = config_.now();
  expire(now);

  std::string session_id;
  if (sid == nullptr || sid->empty()) {
    // A new execution (XEP-0050 §3.3); any other action needs a session.
    if (action != CommandAction::execute) {
      return error_with(iq, StanzaCondition::bad_request, "bad-sessionid");
    }
    if (sessions_.size() >= config_.max_sessions) {
      return error_with(iq, StanzaCondition::resource_constraint);
    }
    session_id = config_.new_session_id();
    sessions_[session_id] = Session{node, *who, 0, {}, CommandAction::next, {}, {}};
  } else {
    session_id = *sid;
    auto it = sessions_.find(session_id);
    if (it == sessions_.end()) {
      if (std::find(expired_.begin(), expired_.end(), session_id) != expired_.end()) {
        return error_with(iq, StanzaCondition::not_allowed, "session-expired");
      }
      return error_with(iq, StanzaCondition::bad_request, "bad-sessionid");
    }
    // A session belongs to the full JID and node that started it.
    if (it->second.owner != *who || it->second.node != node) {
      return error_with(iq, StanzaCondition::bad_request, "bad-sessionid");
    }
    if (action == CommandAction::execute) action = it->second.default_action;
  }

  Session& session = sessions_[session_id];
  Element reply_cmd("command", kCmdNs);
  reply_cmd.set_attr("node", node).set_attr("sessionid", session_id);

  std::optional<DataForm> submitted;
  if (auto form = find_data_form(cmd)) {
    if (!*form) return error_with(iq, StanzaCondition::bad_request, "bad-payload");
    if ((*form)->type == FormType::cancel) {
      action = CommandAction::cancel;
    } else {
      submitted = std::move(**form);
    }
  }
  if (action == CommandAction::cancel) {
    sessions_.erase(session_id);
    reply_cmd.set_attr("status", std::string(to_string(CommandStatus::canceled)));
    return iq_result(iq, std::move(reply_cmd));
  }
  const bool fresh = sid == nullptr || sid->empty();
  if (!fresh &&
      std::find(session.actions.begin(), session.actions.end(), action) == session.actions.end()) {
    return error_with(iq, StanzaCondition::bad_request, "bad-action");
  }

  CommandContext ctx{*who,          node,         session_id,    action,
                     session.stage, std::nullopt, session.state, {}};
  // The deferred answer owns a copy of the request; it is sent once, whenever it comes.
  ctx.finish = [reply, iq, node, session_id,
                sent = std::make_shared<bool>(false)](CommandResponse r) {
    if (*sent) return;
    *sent = true;
    if (!r.error && r.status == CommandStatus::executing) {
      r = CommandResponse::failed(StanzaError::of(StanzaCondition::internal_server_error));
    }
    reply(finished_reply(iq, node, session_id, r));
  };
  if (action == CommandAction::prev) {
    if (session.stage == 0) return error_with(iq, StanzaCondition::bad_request, "bad-action");
    ctx.stage = session.stage - 1;
  } else if (action == CommandAction::next || action == CommandAction::complete) {
    ctx.submitted = std::move(submitted);
  }

  CommandResponse r;
  try {
    r = command->handler(ctx);
  } catch (...) {
    // Handlers are application code: one catch at the top, the session ends (docs/style.md P6).
    sessions_.erase(session_id);
    return error_with(iq, StanzaCondition::internal_server_error);
  }
  if (r.deferred) {
    sessions_.erase(session_id);  // a deferred outcome ends the session
    return std::nullopt;
  }
  if (r.error) {
    if (fresh) sessions_.erase(session_id);
    return error_reply(iq, *r.error).value_or(Element{});
  }

  if (r.status != CommandStatus::executing) {
    sessions_.erase(session_id);
    return finished_reply(iq, node, session_id, r);
  }
  if (action == CommandAction::prev) {
    session.stage = ctx.stage;
  } else if (!fresh) {
    session.stage = ctx.stage + 1;
  }
  session.actions = r.actions;
  session.default_action = r.default_action;
  session.expires = now + config_.session_timeout;
  Element& actions = reply_cmd.add_child("actions", kCmdNs);
  actions.set_attr("execute", std::string(to_string(r.default_action)));
  for (CommandAction a : r.actions) actions.add_child(std::string(to_string(a)), kCmdNs);
  add_outcome(reply_cmd, r);
  return iq_result(iq, std::move(reply_cmd));
}

}  // namespace conclave::xmpp

#include "xmpp/adhoc.h"

#include <gtest/gtest.h>

#include "xmpp/namespaces.h"

namespace conclave::xmpp {
namespace {

using std::chrono::steady_clock;

constexpr std::string_view kNode = "urn:conclave:destroy-room";
constexpr std::string_view kAdmin = "admin@localhost/pc";

// The fake sender: builds requests and keeps what the registry answered.
struct Client {
  CommandRegistry& registry;
  std::string from = std::string(kAdmin);
  int counter = 0;

  Element run(std::string_view action, std::string_view sessionid,
              std::optional<DataForm> form = std::nullopt, std::string_view node = kNode) {
    Element iq = make_iq("set", from, "mls.localhost", "c" + std::to_string(++counter));
    Element& cmd = iq.add_child("command", std::string(ns::kCommands));
    cmd.set_attr("node", std::string(node));
    if (!sessionid.empty()) cmd.set_attr("sessionid", std::string(sessionid));
    if (!action.empty()) cmd.set_attr("action", std::string(action));
    if (form) cmd.add_child(form->to_element());
    auto reply = registry.handle(iq);
    EXPECT_TRUE(reply.has_value());
    return reply.value_or(Element{});
  }
};

const Element& command_of(const Element& reply) {
  static const Element empty;
  const Element* c = reply.child("command", ns::kCommands);
  return c ? *c : empty;
}

std::string app_condition(const Element& reply) {
  auto e = parse_stanza_error(reply);
  if (!e) return "no error";
  std::string s(to_string(e->condition));
  if (e->application) s += "+" + e->application->name();
  return s;
}

DataForm submit(std::string var, std::string value) {
  DataForm f;
  f.type = FormType::submit;
  f.add(std::move(var), FieldType::text_single, "", {std::move(value)});
  return f;
}

class AdhocTest : public ::testing::Test {
 protected:
  AdhocTest() : registry_(config()) {
    registry_.add(Command{
        std::string(kNode), "Destroy room",
        [](const Jid& j) { return j.bare_string() == "admin@localhost"; },
        [this](CommandContext& ctx) -> CommandResponse {
          ++calls_;
          if (ctx.stage == 0 && !ctx.submitted) {
            DataForm f;
            f.add("room", FieldType::jid_single, "Room", {ctx.state["room"]}).required = true;
            return CommandResponse::stage(f, {CommandAction::next}, CommandAction::next);
          }
          if (ctx.stage == 0) {
            const FormField* room = ctx.submitted->field("room");
            if (room == nullptr || room->value().empty()) {
              return CommandResponse::failed(StanzaError::of(StanzaCondition::bad_request));
            }
            ctx.state["room"] = room->value();
          }
          if (ctx.stage == 1 && ctx.submitted) {
            return CommandResponse::completed({{NoteType::info, "Destroyed " + ctx.state["room"]}});
          }
          DataForm f;
          f.add("confirm", FieldType::boolean, "Destroy " + ctx.state["room"] + "?");
          return CommandResponse::stage(f, {CommandAction::prev, CommandAction::complete},
                                        CommandAction::complete);
        }});
  }

  CommandRegistryConfig config() {
    CommandRegistryConfig c;
    c.now = [this] { return now_; };
    c.session_timeout = std::chrono::seconds(60);
    c.new_session_id = [this] { return "s" + std::to_string(++ids_); };
    return c;
  }

  steady_clock::time_point now_{};
  int ids_ = 0;
  int calls_ = 0;
  CommandRegistry registry_;
};

TEST_F(AdhocTest, MultiStageFlowWithPrevAndComplete) {
  Client c{registry_};
  Element r1 = c.run("", "");  // no action attribute means execute
  const Element& cmd1 = command_of(r1);
  EXPECT_EQ(cmd1.attr_or("status"), "executing");
  const std::string sid(cmd1.attr_or("sessionid"));
  EXPECT_EQ(sid, "s1");
  EXPECT_EQ(cmd1.child("actions", ns::kCommands)->attr_or("execute"), "next");
  ASSERT_NE(cmd1.child("x", ns::kDataForms), nullptr);

  Element r2 = c.run("next", sid, submit("room", "r1@mls.localhost"));
  const Element& cmd2 = command_of(r2);
  EXPECT_EQ(cmd2.attr_or("status"), "executing");
  const Element* actions = cmd2.child("actions", ns::kCommands);
  ASSERT_NE(actions, nullptr);
  EXPECT_NE(actions->child("prev", ns::kCommands), nullptr);
  EXPECT_NE(actions->child("complete", ns::kCommands), nullptr);
  EXPECT_EQ(actions->attr_or("execute"), "complete");

  // prev re-renders stage 0 with what was entered.
  Element r3 = c.run("prev", sid);
  auto form3 = find_data_form(command_of(r3));
  ASSERT_TRUE(form3 && *form3);
  EXPECT_EQ((*form3)->field("room")->value(), "r1@mls.localhost");

  Element r4 = c.run("next", sid, submit("room", "r2@mls.localhost"));
  EXPECT_EQ(command_of(r4).attr_or("status"), "executing");
  // "execute" on a session means its default action, here complete.
  Element r5 = c.run("execute", sid, submit("confirm", "1"));
  const Element& cmd5 = command_of(r5);
  EXPECT_EQ(cmd5.attr_or("status"), "completed");
  EXPECT_EQ(cmd5.child_text("note", ns::kCommands), "Destroyed r2@mls.localhost");
  EXPECT_EQ(registry_.session_count(), 0u);
  EXPECT_EQ(app_condition(c.run("next", sid)), "bad-request+bad-sessionid");
}

TEST_F(AdhocTest, Errors) {
  Client c{registry_};
  EXPECT_EQ(app_condition(c.run("jump", "")), "bad-request+malformed-action");
  EXPECT_EQ(app_condition(c.run("", "", std::nullopt, "urn:nope")), "item-not-found");
  EXPECT_EQ(app_condition(c.run("next", "")), "bad-request+bad-sessionid");
  EXPECT_EQ(app_condition(c.run("next", "forged")), "bad-request+bad-sessionid");

  Client mallory{registry_, "mallory@localhost/x"};
  EXPECT_EQ(app_condition(mallory.run("", "")), "forbidden");

  const std::string sid(command_of(c.run("", "")).attr_or("sessionid"));
  // complete is not offered at stage 0; prev is impossible at stage 0.
  EXPECT_EQ(app_condition(c.run("complete", sid, submit("room", "r@x"))), "bad-request+bad-action");
  // Another resource of the same admin cannot hijack the session.
  Client other{registry_, "admin@localhost/phone"};
  EXPECT_EQ(app_condition(other.run("next", sid, submit("room", "r@x"))),
            "bad-request+bad-sessionid");
  // A handler error keeps the session.
  EXPECT_EQ(app_condition(c.run("next", sid, submit("room", ""))), "bad-request");
  EXPECT_EQ(registry_.session_count(), 1u);

  now_ += std::chrono::seconds(61);
  EXPECT_EQ(app_condition(c.run("next", sid, submit("room", "r@x"))),
            "not-allowed+session-expired");
  EXPECT_EQ(registry_.session_count(), 0u);
}

TEST_F(AdhocTest, CancelEndsTheSession) {
  Client c{registry_};
  const std::string sid(command_of(c.run("", "")).attr_or("sessionid"));
  Element r = c.run("cancel", sid);
  EXPECT_EQ(command_of(r).attr_or("status"), "canceled");
  EXPECT_EQ(registry_.session_count(), 0u);
  // A cancel form is a cancel too.
  const std::string sid2(command_of(c.run("", "")).attr_or("sessionid"));
  DataForm cancel;
  cancel.type = FormType::cancel;
  EXPECT_EQ(command_of(c.run("next", sid2, cancel)).attr_or("status"), "canceled");
}

TEST_F(AdhocTest, DiscoListsOnlyPermittedCommands) {
  Element items = make_iq("get", std::string(kAdmin), "mls.localhost", "i1");
  items.add_child("query", std::string(ns::kDiscoItems))
      .set_attr("node", std::string(ns::kCommands));
  auto r = registry_.handle(items);
  ASSERT_TRUE(r.has_value());
  auto listed = r->child("query", ns::kDiscoItems)->children_named("item", ns::kDiscoItems);
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0]->attr_or("node"), kNode);
  EXPECT_EQ(listed[0]->attr_or("jid"), "mls.localhost");

  items.set_attr("from", "mallory@localhost/x");
  EXPECT_TRUE(registry_.handle(items)->child("query", ns::kDiscoItems)->children().empty());

  Element info = make_iq("get", std::string(kAdmin), "mls.localhost", "i2");
  info.add_child("query", std::string(ns::kDiscoInfo)).set_attr("node", std::string(kNode));
  auto ri = registry_.handle(info);
  ASSERT_TRUE(ri.has_value());
  const Element* q = ri->child("query", ns::kDiscoInfo);
  EXPECT_EQ(q->child("identity", ns::kDiscoInfo)->attr_or("type"), "command-node");
  EXPECT_EQ(q->children_named("feature", ns::kDiscoInfo).size(), 2u);

  // Not a command node: left to the general disco responder.
  Element root = make_iq("get", std::string(kAdmin), "mls.localhost", "i3");
  root.add_child("query", std::string(ns::kDiscoInfo));
  EXPECT_FALSE(registry_.handle(root).has_value());
}

TEST_F(AdhocTest, HandlerExceptionBecomesInternalServerError) {
  registry_.add(Command{"boom", "Boom", {}, [](CommandContext&) -> CommandResponse {
                          throw std::runtime_error("bug");
                        }});
  Client c{registry_};
  EXPECT_EQ(app_condition(c.run("", "", std::nullopt, "boom")), "internal-server-error");
  EXPECT_EQ(registry_.session_count(), 0u);
}

// A command whose outcome needs blocking work answers when ctx.finish is called, once, and
// its session is over meanwhile.
TEST_F(AdhocTest, DeferredOutcomeIsAnsweredWhenFinished) {
  std::function<void(CommandResponse)> finish;
  registry_.add(Command{"slow", "Slow", {}, [&finish](CommandContext& ctx) {
                          finish = ctx.finish;
                          return CommandResponse::later();
                        }});
  std::vector<Element> replies;
  Element iq = make_iq("set", std::string(kAdmin), "mls.localhost", "d1");
  iq.add_child("command", std::string(ns::kCommands)).set_attr("node", "slow");
  ASSERT_TRUE(registry_.handle(iq, [&replies](Element e) { replies.push_back(std::move(e)); }));
  EXPECT_TRUE(replies.empty());  // nothing before the work is done
  EXPECT_EQ(registry_.session_count(), 0u);
  ASSERT_TRUE(finish);
  finish(CommandResponse::completed({{NoteType::info, "done"}}));
  finish(CommandResponse::completed({{NoteType::info, "twice"}}));  // ignored
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].attr_or("id"), "d1");
  EXPECT_EQ(replies[0].attr_or("type"), "result");
  const Element& cmd = command_of(replies[0]);
  EXPECT_EQ(cmd.attr_or("status"), "completed");
  EXPECT_EQ(cmd.attr_or("node"), "slow");
  EXPECT_EQ(cmd.child_text("note", ns::kCommands), "done");

  // An error outcome is a stanza error; an outcome that claims to go on is a bug in the handler.
  replies.clear();
  iq.set_attr("id", "d2");
  registry_.handle(iq, [&replies](Element e) { replies.push_back(std::move(e)); });
  finish(CommandResponse::failed(StanzaError::of(StanzaCondition::item_not_found)));
  iq.set_attr("id", "d3");
  registry_.handle(iq, [&replies](Element e) { replies.push_back(std::move(e)); });
  finish(CommandResponse::stage(DataForm{}, {CommandAction::next}, CommandAction::next));
  ASSERT_EQ(replies.size(), 2u);
  EXPECT_EQ(app_condition(replies[0]), "item-not-found");
  EXPECT_EQ(app_condition(replies[1]), "internal-server-error");
}

}  // namespace
}  // namespace conclave::xmpp

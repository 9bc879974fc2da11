#include "xmpp/data_form.h"

#include <gtest/gtest.h>

#include "xmpp/namespaces.h"
#include "xmpp/serializer.h"
#include "xmpp/stream_parser.h"

namespace conclave::xmpp {
namespace {

DataForm sample_form() {
  DataForm f;
  f.type = FormType::form;
  f.title = "Destroy room";
  f.instructions = {"Pick a room", "Then confirm"};
  f.set_form_type("urn:conclave:admin");
  FormField& room = f.add("room", FieldType::jid_single, "Room");
  room.required = true;
  room.desc = "The room's bare JID";
  FormField& reason = f.add("reason", FieldType::list_single, "Reason");
  reason.options = {{"Spam", "spam"}, {"Other", "other"}};
  f.add("confirm", FieldType::boolean, "Really?", {"0"});
  f.add("members", FieldType::jid_multi, "Members", {"a@x", "b@x"});
  f.add("", FieldType::fixed, "", {"Section"});
  return f;
}

TEST(DataForm, RoundTripThroughElementAndXml) {
  const DataForm f = sample_form();
  Element e = f.to_element();
  EXPECT_EQ(parse_data_form(e).value(), f);
  // Through bytes, as it travels.
  StreamParser p;
  auto events = p.feed(
      "<stream:stream xmlns='jabber:component:accept' "
      "xmlns:stream='http://etherx.jabber.org/streams' id='1'>" +
      to_string(e));
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(parse_data_form(std::get<StanzaReceived>(events[1]).stanza).value(), f);
  EXPECT_EQ(f.form_type(), "urn:conclave:admin");
  EXPECT_EQ(f.fields.front().type, FieldType::hidden);
}

TEST(DataForm, ParseDefaultsAndRejections) {
  Element x("x", std::string(ns::kDataForms));
  x.set_attr("type", "submit");
  x.add_child("field", std::string(ns::kDataForms)).set_attr("var", "a");
  auto f = parse_data_form(x);
  ASSERT_TRUE(f.has_value());
  EXPECT_FALSE(f->fields[0].explicit_type);
  EXPECT_EQ(f->fields[0].type, FieldType::text_single);

  Element bad_type = x;
  bad_type.set_attr("type", "nonsense");
  EXPECT_FALSE(parse_data_form(bad_type).has_value());

  Element no_var = x;
  no_var.add_child("field", std::string(ns::kDataForms)).set_attr("type", "text-single");
  EXPECT_FALSE(parse_data_form(no_var).has_value());

  Element dup = x;
  dup.add_child("field", std::string(ns::kDataForms)).set_attr("var", "a");
  EXPECT_FALSE(parse_data_form(dup).has_value());

  Element two_values = x;
  Element& fld = two_values.add_child("field", std::string(ns::kDataForms));
  fld.set_attr("var", "b").set_attr("type", "text-single");
  fld.add_child("value", std::string(ns::kDataForms)).set_text("1");
  fld.add_child("value", std::string(ns::kDataForms)).set_text("2");
  EXPECT_FALSE(parse_data_form(two_values).has_value());

  Element unknown_field = x;
  unknown_field.add_child("field", std::string(ns::kDataForms))
      .set_attr("var", "c")
      .set_attr("type", "bogus");
  EXPECT_FALSE(parse_data_form(unknown_field).has_value());
}

TEST(DataForm, ValidateSubmission) {
  const DataForm presented = sample_form();
  DataForm submit;
  submit.type = FormType::submit;
  submit.set_form_type("urn:conclave:admin");
  submit.add("room", FieldType::jid_single, "", {"room@mls.localhost"});
  submit.add("reason", FieldType::list_single, "", {"spam"});
  submit.add("confirm", FieldType::boolean, "", {"true"});
  EXPECT_TRUE(validate_submission(presented, submit).has_value());
  EXPECT_TRUE(submit.field("confirm")->as_bool().value());

  DataForm missing = submit;
  missing.fields.erase(missing.fields.begin() + 1);  // drop required "room"
  EXPECT_FALSE(validate_submission(presented, missing).has_value());

  DataForm bad_option = submit;
  bad_option.field("reason")->values = {"boredom"};
  EXPECT_FALSE(validate_submission(presented, bad_option).has_value());

  DataForm bad_bool = submit;
  bad_bool.field("confirm")->values = {"yes"};
  EXPECT_FALSE(validate_submission(presented, bad_bool).has_value());

  DataForm bad_jid = submit;
  bad_jid.field("room")->values = {"@@"};
  EXPECT_FALSE(validate_submission(presented, bad_jid).has_value());

  DataForm wrong_type = submit;
  wrong_type.set_form_type("urn:other");
  EXPECT_FALSE(validate_submission(presented, wrong_type).has_value());

  DataForm not_submit = submit;
  not_submit.type = FormType::form;
  EXPECT_FALSE(validate_submission(presented, not_submit).has_value());
}

}  // namespace
}  // namespace conclave::xmpp

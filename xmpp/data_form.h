#pragma once
// Data Forms (XEP-0004): the <x xmlns='jabber:x:data'/> model, parse, serialize and the checks a
// responder applies to a submitted form.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "xmpp/element.h"
#include "xmpp/result.h"

namespace conclave::xmpp {

enum class FormType { form, submit, cancel, result };
enum class FieldType {
  boolean,
  fixed,
  hidden,
  jid_multi,
  jid_single,
  list_multi,
  list_single,
  text_multi,
  text_private,
  text_single,
};
std::string_view to_string(FormType t);
std::string_view to_string(FieldType t);
std::optional<FieldType> field_type_from(std::string_view s);

struct FieldOption {
  std::string label;
  std::string value;
  bool operator==(const FieldOption&) const = default;
};

struct FormField {
  std::string var;
  FieldType type = FieldType::text_single;
  bool explicit_type = true;  // false when parsed without a type attribute (XEP-0004 §3.3)
  std::string label;
  std::string desc;
  bool required = false;
  std::vector<std::string> values;
  std::vector<FieldOption> options;

  std::string value() const { return values.empty() ? std::string() : values.front(); }
  std::optional<bool> as_bool() const;  // "1"/"true" and "0"/"false" (XEP-0004 §3.3)
  bool operator==(const FormField&) const = default;
};

inline constexpr std::string_view kFormTypeVar = "FORM_TYPE";  // XEP-0068

struct DataForm {
  FormType type = FormType::form;
  std::string title;
  std::vector<std::string> instructions;
  std::vector<FormField> fields;

  const FormField* field(std::string_view var) const;
  FormField* field(std::string_view var);
  FormField& add(FormField f);
  FormField& add(std::string var, FieldType field_type, std::string label = {},
                 std::vector<std::string> values = {});
  std::string form_type() const;          // the hidden FORM_TYPE value, or ""
  void set_form_type(std::string value);  // first field, hidden

  Element to_element() const;
  bool operator==(const DataForm&) const = default;
};

// Parses <x xmlns='jabber:x:data'/>. Fails with invalid_form on an unknown form or field type,
// a non-fixed field without var (form type form/submit), a duplicate var, or several values in a
// single-valued field.
Result<DataForm> parse_data_form(const Element& x);
// The first <x xmlns='jabber:x:data'/> child of `parent`, parsed; nullopt when there is none.
std::optional<Result<DataForm>> find_data_form(const Element& parent);

// Checks a submitted form against the form that was presented: required fields have a value,
// list values are among the options, booleans and JIDs are valid, FORM_TYPE matches.
Status validate_submission(const DataForm& presented, const DataForm& submitted);

}  // namespace conclave::xmpp

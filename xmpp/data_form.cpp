#include "xmpp/data_form.h"

#include <algorithm>
#include <array>
#include <set>
#include <utility>

#include "xmpp/jid.h"
#include "xmpp/namespaces.h"

namespace conclave::xmpp {
namespace {

constexpr std::array<std::pair<FieldType, std::string_view>, 10> kFieldTypes{{
    {FieldType::boolean, "boolean"},
    {FieldType::fixed, "fixed"},
    {FieldType::hidden, "hidden"},
    {FieldType::jid_multi, "jid-multi"},
    {FieldType::jid_single, "jid-single"},
    {FieldType::list_multi, "list-multi"},
    {FieldType::list_single, "list-single"},
    {FieldType::text_multi, "text-multi"},
    {FieldType::text_private, "text-private"},
    {FieldType::text_single, "text-single"},
}};

std::optional<FormType> form_type_from(std::string_view s) {
  if (s == "form") return FormType::form;
  if (s == "submit") return FormType::submit;
  if (s == "cancel") return FormType::cancel;
  if (s == "result") return FormType::result;
  return std::nullopt;
}

bool multi_valued(FieldType t) {
  return t == FieldType::jid_multi || t == FieldType::list_multi || t == FieldType::text_multi;
}

const std::string kDataNs(ns::kDataForms);

}  // namespace

std::string_view to_string(FormType t) {
  switch (t) {
    case FormType::form:
      return "form";
    case FormType::submit:
      return "submit";
    case FormType::cancel:
      return "cancel";
    case FormType::result:
      return "result";
  }
  return "form";
}

std::string_view to_string(FieldType t) {
  for (const auto& [type, name] : kFieldTypes) {
    if (type == t) return name;
  }
  return "text-single";
}

std::optional<FieldType> field_type_from(std::string_view s) {
  for (const auto& [type, name] : kFieldTypes) {
    if (name == s) return type;
  }
  return std::nullopt;
}

std::optional<bool> FormField::as_bool() const {
  const std::string v = value();
  if (v == "1" || v == "true") return true;
  if (v == "0" || v == "false") return false;
  return std::nullopt;
}

const FormField* DataForm::field(std::string_view var) const {
  for (const FormField& f : fields) {
    if (f.var == var) return &f;
  }
  return nullptr;
}

FormField* DataForm::field(std::string_view var) {
  for (FormField& f : fields) {
    if (f.var == var) return &f;
  }
  return nullptr;
}

FormField& DataForm::add(FormField f) {
  fields.push_back(std::move(f));
  return fields.back();
}

FormField& DataForm::add(std::string var, FieldType field_type, std::string label,
                         std::vector<std::string> values) {
  FormField f;
  f.var = std::move(var);
  f.type = field_type;
  f.label = std::move(label);
  f.values = std::move(values);
  return add(std::move(f));
}

std::string DataForm::form_type() const {
  const FormField* f = field(kFormTypeVar);
  return f ? f->value() : std::string();
}

void DataForm::set_form_type(std::string value) {
  if (FormField* f = field(kFormTypeVar)) {
    f->values = {std::move(value)};
    return;
  }
  FormField f;
  f.var = std::string(kFormTypeVar);
  f.type = FieldType::hidden;
  f.values = {std::move(value)};
  fields.insert(fields.begin(), std::move(f));
}

Element DataForm::to_element() const {
  Element x("x", kDataNs);
  x.set_attr("type", std::string(to_string(type)));
  if (!title.empty()) x.add_child("title", kDataNs).set_text(title);
  for (const std::string& i : instructions) x.add_child("instructions", kDataNs).set_text(i);
  for (const FormField& f : fields) {
    Element& e = x.add_child("field", kDataNs);
    if (!f.var.empty()) e.set_attr("var", f.var);
    if (f.explicit_type) e.set_attr("type", std::string(to_string(f.type)));
    if (!f.label.empty()) e.set_attr("label", f.label);
    if (!f.desc.empty()) e.add_child("desc", kDataNs).set_text(f.desc);
    if (f.required) e.add_child("required", kDataNs);
    for (const std::string& v : f.values) e.add_child("value", kDataNs).set_text(v);
    for (const FieldOption& o : f.options) {
      Element& opt = e.add_child("option", kDataNs);
      if (!o.label.empty()) opt.set_attr("label", o.label);
      opt.add_child("value", kDataNs).set_text(o.value);
    }
  }
  return x;
}

Result<DataForm> parse_data_form(const Element& x) {
  if (!x.is("x", ns::kDataForms)) return fail(Errc::invalid_form);
  auto type = form_type_from(x.attr_or("type"));
  if (!type) return fail(Errc::invalid_form);
  DataForm form;
  form.type = *type;
  std::set<std::string> seen;
  for (const Element& c : x.children()) {
    if (c.ns() != ns::kDataForms) continue;
    if (c.name() == "title") {
      form.title = c.text_content();
    } else if (c.name() == "instructions") {
      form.instructions.push_back(c.text_content());
    } else if (c.name() == "field") {
      FormField f;
      f.var = std::string(c.attr_or("var"));
      f.label = std::string(c.attr_or("label"));
      if (const std::string* t = c.attr("type")) {
        auto ft = field_type_from(*t);
        if (!ft) return fail(Errc::invalid_form);
        f.type = *ft;
      } else {
        f.explicit_type = false;  // XEP-0004 §3.3: defaults to text-single
      }
      if (f.var.empty() && f.type != FieldType::fixed &&
          (form.type == FormType::form || form.type == FormType::submit)) {
        return fail(Errc::invalid_form);
      }
      if (!f.var.empty() && !seen.insert(f.var).second) return fail(Errc::invalid_form);
      for (const Element& fc : c.children()) {
        if (fc.ns() != ns::kDataForms) continue;
        if (fc.name() == "value") {
          f.values.push_back(fc.text_content());
        } else if (fc.name() == "desc") {
          f.desc = fc.text_content();
        } else if (fc.name() == "required") {
          f.required = true;
        } else if (fc.name() == "option") {
          f.options.push_back(FieldOption{std::string(fc.attr_or("label")),
                                          fc.child_text("value", ns::kDataForms)});
        }
      }
      if (f.explicit_type && !multi_valued(f.type) && f.values.size() > 1) {
        return fail(Errc::invalid_form);
      }
      form.fields.push_back(std::move(f));
    }
  }
  return form;
}

std::optional<Result<DataForm>> find_data_form(const Element& parent) {
  const Element* x = parent.child("x", ns::kDataForms);
  if (x == nullptr) return std::nullopt;
  return parse_data_form(*x);
}

Status validate_submission(const DataForm& presented, const DataForm& submitted) {
  if (submitted.type != FormType::submit) return fail(Errc::invalid_form);
  if (presented.form_type() != submitted.form_type()) return fail(Errc::invalid_form);
  for (const FormField& p : presented.fields) {
    if (p.var.empty() || p.type == FieldType::fixed) continue;
    const FormField* s = submitted.field(p.var);
    const bool empty =
        s == nullptr || s->values.empty() || (s->values.size() == 1 && s->values.front().empty());
    if (empty) {
      if (p.required) return fail(Errc::invalid_form);
      continue;
    }
    if (!multi_valued(p.type) && s->values.size() > 1) return fail(Errc::invalid_form);
    for (const std::string& v : s->values) {
      switch (p.type) {
        case FieldType::boolean:
          if (v != "0" && v != "1" && v != "true" && v != "false") return fail(Errc::invalid_form);
          break;
        case FieldType::jid_single:
        case FieldType::jid_multi:
          if (!Jid::parse(v)) return fail(Errc::invalid_form);
          break;
        case FieldType::list_single:
        case FieldType::list_multi:
          if (std::none_of(p.options.begin(), p.options.end(),
                           [&](const FieldOption& o) { return o.value == v; })) {
            return fail(Errc::invalid_form);
          }
          break;
        default:
          break;
      }
    }
  }
  return {};
}

}  // namespace conclave::xmpp

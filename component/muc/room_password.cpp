// The room password (XEP-0045 §7.2.6 on joining, §10.2 muc#roomconfig_passwordprotectedroom and
// muc#roomconfig_roomsecret): its configuration fields and stored settings, its disco#info
// feature (muc_passwordprotected / muc_unsecured, §6.4) and the check on joining.
#include "base/ct_equal.h"
#include "component/muc/room.h"
#include "component/muc/room_feature.h"
#include "component/rooms/namespaces.h"

namespace conclave::component {
namespace {

constexpr std::string_view kProtected = "muc#roomconfig_passwordprotectedroom";
constexpr std::string_view kSecret = "muc#roomconfig_roomsecret";

class PasswordFeature final : public RoomFeature {
 public:
  void describe(const Room& room, xmpp::DiscoInfo& info) const override {
    info.add_feature(room.config().password_protected ? "muc_passwordprotected" : "muc_unsecured");
  }

  std::optional<Refusal> check_join(const Room& room, const JoinRequest& join) const override {
    const RoomConfig& c = room.config();
    // Owners enter without it (they can read it in the form anyway); a nickname change is not
    // a new entry.
    if (!c.password_protected || join.nick_change || join.affiliation == Affiliation::owner) {
      return std::nullopt;
    }
    const xmpp::Element* x = join.presence.child("x", ns::kMuc);
    // The password is a secret: compare without a timing signal (docs/style.md P11).
    if (x == nullptr || !ct_equal(x->child_text("password", ns::kMuc), c.password)) {
      return Refusal{xmpp::StanzaCondition::not_authorized, "A password is required"};
    }
    return std::nullopt;
  }

  void add_config_fields(const RoomConfig& c, xmpp::DataForm& form) const override {
    form.add(bool_field(kProtected, "Password protected", c.password_protected));
    form.add(std::string(kSecret), xmpp::FieldType::text_private, "Password", {c.password});
  }

  xmpp::Status read_config_fields(RoomConfig& staged, const xmpp::DataForm& form) const override {
    if (!read_bool_field(form, kProtected, staged.password_protected)) {
      return xmpp::fail(xmpp::Errc::invalid_form);
    }
    if (const xmpp::FormField* f = form.field(kSecret)) staged.password = f->value();
    // A password-protected room without a password would admit nobody but with an empty one.
    if (staged.password.empty()) staged.password_protected = false;
    return {};
  }

  void write_settings(const RoomConfig& c, std::map<std::string, std::string>& out) const override {
    out[std::string(kProtected)] = flag_setting(c.password_protected);
    out[std::string(kSecret)] = c.password;
  }

  void read_settings(const std::map<std::string, std::string>& in, RoomConfig& c) const override {
    if (auto it = in.find(std::string(kSecret)); it != in.end()) c.password = it->second;
    read_flag_setting(in, kProtected, c.password_protected);
  }
};

}  // namespace

const RoomFeature& password_feature() {
  static const PasswordFeature feature;
  return feature;
}

}  // namespace conclave::component

// The room's mode (component/store/room_mode.h): private group chat or chat room, chosen by the
// owner in the room configuration as {urn:xmpp:mls:0}mode (docs/protocol.md §6.5) and shown in
// the muc#roominfo form of disco#info. Unset, it follows the room's kind: members-only rooms are
// private group chats, open rooms chat rooms.
#include "component/muc/room.h"
#include "component/muc/room_feature.h"

namespace conclave::component {
namespace {

constexpr std::string_view kModeVar = "{urn:xmpp:mls:0}mode";

class ModeFeature final : public RoomFeature {
 public:
  void add_info_fields(const Room& room, xmpp::DataForm& roominfo) const override {
    roominfo.add(std::string(kModeVar), xmpp::FieldType::text_single, "Encrypted room mode",
                 {std::string(to_string(room.config().effective_mode()))});
  }

  void add_config_fields(const RoomConfig& c, xmpp::DataForm& form) const override {
    form.add(list_field(kModeVar,
                        "Encrypted room mode (group_chat: never forks; chat_room: may be "
                        "federated, forks and heals)",
                        std::string(to_string(c.effective_mode())),
                        {to_string(RoomMode::group_chat), to_string(RoomMode::chat_room)}));
  }

  xmpp::Status read_config_fields(RoomConfig& staged, const xmpp::DataForm& form) const override {
    const xmpp::FormField* f = form.field(kModeVar);
    if (f == nullptr || f->value().empty()) return {};
    auto mode = room_mode_from(f->value());
    if (!mode) return xmpp::fail(xmpp::Errc::invalid_form);
    staged.mode = *mode;
    return {};
  }

  void write_settings(const RoomConfig& c, std::map<std::string, std::string>& out) const override {
    if (c.mode) out[std::string(kModeVar)] = std::string(to_string(*c.mode));
  }

  void read_settings(const std::map<std::string, std::string>& in, RoomConfig& c) const override {
    if (auto it = in.find(std::string(kModeVar)); it != in.end()) {
      c.mode = room_mode_from(it->second);
    }
  }
};

}  // namespace

const RoomFeature& mode_feature() {
  static const ModeFeature feature;
  return feature;
}

}  // namespace conclave::component

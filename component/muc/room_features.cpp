// The features of every MUC room (room_feature.h), in the order they are asked. Each is defined
// in the file named for it; adding a feature is that file and one line here.
#include "component/muc/room_feature.h"

namespace conclave::component {

const std::vector<const RoomFeature*>& room_features() {
  static const std::vector<const RoomFeature*> features{
      &password_feature(),      &registration_feature(), &archive_feature(), &moderation_feature(),
      &voice_request_feature(), &self_ping_feature(),    &mode_feature(),    &fmuc_feature(),
  };
  return features;
}

}  // namespace conclave::component

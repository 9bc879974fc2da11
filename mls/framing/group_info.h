#pragma once
// GroupInfo (RFC 9420 §12.4.3).
#include <cstdint>
#include <tuple>
#include <vector>

#include "mls/codec/codec.h"
#include "mls/schedule/group_context.h"

namespace conclave::mls {

// struct {
//     GroupContext group_context;
//     Extension extensions<V>;
//     MAC confirmation_tag;
//     uint32 signer;
// } GroupInfoTBS;
struct GroupInfoTbs {
  GroupContext group_context;
  std::vector<Extension> extensions;
  Bytes confirmation_tag;
  std::uint32_t signer = 0;
  static constexpr auto fields() {
    return std::tuple{&GroupInfoTbs::group_context, &GroupInfoTbs::extensions,
                      &GroupInfoTbs::confirmation_tag, &GroupInfoTbs::signer};
  }
  bool operator==(const GroupInfoTbs&) const = default;
};

// struct {
//     (the fields of GroupInfoTBS)
//     /* SignWithLabel(., "GroupInfoTBS", GroupInfoTBS) */
//     opaque signature<V>;
// } GroupInfo;
struct GroupInfo {
  GroupContext group_context;
  std::vector<Extension> extensions;
  Bytes confirmation_tag;
  std::uint32_t signer = 0;
  Bytes signature;
  static constexpr auto fields() {
    return std::tuple{&GroupInfo::group_context, &GroupInfo::extensions,
                      &GroupInfo::confirmation_tag, &GroupInfo::signer, &GroupInfo::signature};
  }
  bool operator==(const GroupInfo&) const = default;
};

// encode_group_info_tbs returns the GroupInfoTBS encoding of `gi` (all but the signature).
Bytes encode_group_info_tbs(const GroupInfo& gi);

}  // namespace conclave::mls

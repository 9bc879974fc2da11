#include "mls/framing/group_info.h"

namespace conclave::mls {

Bytes encode_group_info_tbs(const GroupInfo& gi) {
  Writer w;
  write(w, gi.group_context);
  write(w, gi.extensions);
  write(w, gi.confirmation_tag);
  write(w, gi.signer);
  return w.take();
}

}  // namespace conclave::mls

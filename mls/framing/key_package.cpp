#include "mls/framing/key_package.h"

namespace conclave::mls {

Bytes encode_key_package_tbs(const KeyPackage& kp) {
  Writer w;
  write(w, kp.version);
  write(w, kp.cipher_suite);
  write(w, kp.init_key);
  write(w, kp.leaf_node);
  write(w, kp.extensions);
  return w.take();
}

}  // namespace conclave::mls

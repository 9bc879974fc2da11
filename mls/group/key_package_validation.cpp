#include "mls/group/key_package_validation.h"

#include "mls/group/extensions.h"
#include "mls/group/welcome_crypto.h"

namespace conclave::mls {

Result<ValidKeyPackage> validate_key_package(const CipherSuite& suite, KeyPackage kp,
                                             const LeafValidationContext& ctx) {
  // VAL-KP-01
  if (kp.version != ProtocolVersion::mls10 ||
      kp.cipher_suite != static_cast<std::uint16_t>(suite.id())) {
    return fail(Errc::invalid_value);
  }
  // VAL-KP-02: the source first (cheap), then the full §7.3 checks.
  if (kp.leaf_node.source.type() != LeafNodeSourceType::key_package) {
    return fail(Errc::invalid_value);
  }
  if (auto st = validate_leaf_node(suite, kp.leaf_node, LeafIndex{0}, ctx); !st) {
    return fail(st.error());
  }
  // VAL-KP-03
  if (!suite.verify_with_label(kp.leaf_node.signature_key, "KeyPackageTBS",
                               encode_key_package_tbs(kp), kp.signature)) {
    return fail(Errc::bad_signature);
  }
  // VAL-KP-04
  if (kp.init_key == kp.leaf_node.encryption_key) return fail(Errc::invalid_value);
  // VAL-KP-05
  if (has_duplicate_extensions(kp.extensions) ||
      has_duplicate_extensions(kp.leaf_node.extensions)) {
    return fail(Errc::invalid_value);
  }
  ValidKeyPackage out;
  out.ref_ = key_package_ref(suite, kp);
  out.kp_ = std::move(kp);
  return out;
}

}  // namespace conclave::mls

#pragma once
// KeyPackage validation (RFC 9420 §10.1) into a validated type (docs/style.md P5): a
// ValidKeyPackage exists only if every check below passed.
//
//   VAL-KP-01  §10.1  cipher_suite and version match the group's         Errc::invalid_value
//   VAL-KP-02  §10.1  leaf_node valid (§7.3) with source key_package     (validate_leaf_node)
//   VAL-KP-03  §10.1  signature verifies with leaf_node.signature_key    Errc::bad_signature
//   VAL-KP-04  §10.1  init_key differs from leaf_node.encryption_key     Errc::invalid_value
//   VAL-KP-05  §13.4  no duplicate extension types (KeyPackage or leaf)  Errc::invalid_value
// Tests: tests/mls/group/validation_test.cpp.
#include <cstdint>

#include "mls/codec/result.h"
#include "mls/crypto/cipher_suite.h"
#include "mls/framing/key_package.h"
#include "mls/treesync/tree_validation.h"

namespace conclave::mls {

class ValidKeyPackage {
 public:
  const KeyPackage& key_package() const { return kp_; }
  const Bytes& ref() const { return ref_; }  // KeyPackageRef (§5.2)

  friend Result<ValidKeyPackage> validate_key_package(const CipherSuite& suite, KeyPackage kp,
                                                      const LeafValidationContext& ctx);

 private:
  ValidKeyPackage() = default;
  KeyPackage kp_;
  Bytes ref_;
};

// validate_key_package runs VAL-KP-01..05 for a group of `suite` (version mls10).
Result<ValidKeyPackage> validate_key_package(const CipherSuite& suite, KeyPackage kp,
                                             const LeafValidationContext& ctx);

}  // namespace conclave::mls

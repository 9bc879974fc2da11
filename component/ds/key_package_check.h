#pragma once
// check_key_package: the checks docs/protocol.md §4 puts on every uploaded KeyPackage, before
// anything is stored. Pure: no store, no clock of its own.
//
//   KP-1  base64 decodes, and the bytes are exactly one MLSMessage (no trailing bytes)
//   KP-2  the MLSMessage wraps a KeyPackage (wire format mls_key_package)
//   KP-3  cipher suite 0x0001, version mls10                     (RFC 9420 §10.1, VAL-KP-01)
//   KP-4  leaf node valid with source key_package, KeyPackage signature valid, init_key differs
//         from the encryption key, no duplicate extensions      (VAL-KP-02..05)
//   KP-5  lifetime contains `now`                               (RFC 9420 §7.3)
//   KP-6  BasicCredential whose identity is the uploader's bare JID
//   KP-7  an application_id leaf extension naming the device (RFC 9420 §5.3.3; BR-13)
//   KP-8  (KeyPackageDirectory::upload) the packages of one upload name one device
//   KP-9  not_after at most `max_lifetime_seconds` after `now`   (RFC 9420 §7.2, §16.8;
//         mls.max_key_package_lifetime), last-resort packages included
// Any failure: <bad-request/> + <invalid-key-package/> (feature-not-implemented for KP-3).
// Tests: tests/component/ds_key_package_test.cpp.
#include <cstdint>
#include <string>
#include <string_view>

#include "component/ds/ds_error.h"
#include "mls/codec/bytes.h"

namespace conclave::component::ds {

struct CheckedKeyPackage {
  mls::Bytes message;  // the MLSMessage bytes as uploaded: what a claimer gets back
  mls::Bytes ref;      // KeyPackageRef (RFC 9420 §5.2)
  std::uint64_t not_after = 0;
  bool last_resort = false;
  std::string device;  // KP-7: the leaf's device id
};

// `now_seconds`: the upload time (Unix seconds); `max_lifetime_seconds`: KP-9's bound.
DsResult<CheckedKeyPackage> check_key_package(std::string_view base64, const std::string& owner,
                                              std::uint64_t now_seconds, bool last_resort,
                                              std::uint64_t max_lifetime_seconds);

}  // namespace conclave::component::ds

#pragma once
// Credentials (RFC 9420 §5.3).
#include <cstdint>
#include <tuple>
#include <variant>
#include <vector>

#include "mls/codec/codec.h"

namespace conclave::mls {

// uint16 CredentialType; basic(1), x509(2) (RFC 9420 §17.5). Lists of credential types
// (Capabilities) may hold any value, including GREASE, so reading the enum alone accepts all.
enum class CredentialType : std::uint16_t { basic = 1, x509 = 2 };

// struct { opaque identity<V>; }  (the basic case of Credential)
struct BasicCredential {
  Bytes identity;
  static constexpr auto fields() { return std::tuple{&BasicCredential::identity}; }
  bool operator==(const BasicCredential&) const = default;
};

// struct { opaque cert_data<V>; } Certificate;
struct Certificate {
  Bytes cert_data;
  static constexpr auto fields() { return std::tuple{&Certificate::cert_data}; }
  bool operator==(const Certificate&) const = default;
};

// struct { Certificate certificates<V>; }  (the x509 case of Credential)
struct X509Credential {
  std::vector<Certificate> certificates;
  static constexpr auto fields() { return std::tuple{&X509Credential::certificates}; }
  bool operator==(const X509Credential&) const = default;
};

// struct {
//     CredentialType credential_type;
//     select (Credential.credential_type) {
//         case basic: opaque identity<V>;
//         case x509:  Certificate certificates<V>;
//     };
// } Credential;
//
// Other credential types have no self-delimiting encoding, so reading one fails with
// Errc::invalid_value.
struct Credential {
  std::variant<BasicCredential, X509Credential> value;
  CredentialType type() const {
    return value.index() == 0 ? CredentialType::basic : CredentialType::x509;
  }
  bool operator==(const Credential&) const = default;
};

void write(Writer& w, const Credential& v);
bool read(Reader& r, Credential& v);

}  // namespace conclave::mls

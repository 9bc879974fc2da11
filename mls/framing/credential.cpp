#include "mls/framing/credential.h"

namespace conclave::mls {

void write(Writer& w, const Credential& v) {
  write(w, v.type());
  std::visit([&](const auto& c) { write(w, c); }, v.value);
}

bool read(Reader& r, Credential& v) {
  CredentialType type{};
  if (!read(r, type)) return false;
  switch (type) {
    case CredentialType::basic: {
      BasicCredential c;
      if (!read(r, c)) return false;
      v.value = std::move(c);
      return true;
    }
    case CredentialType::x509: {
      X509Credential c;
      if (!read(r, c)) return false;
      v.value = std::move(c);
      return true;
    }
  }
  return r.fail(Errc::invalid_value);
}

}  // namespace conclave::mls

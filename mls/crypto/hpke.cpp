// HPKE base mode (RFC 9180). Temporary stubs while the implementation lands.
#include "mls/crypto/cipher_suite.h"
#include "mls/crypto/detail/suite_impl.h"

namespace conclave::mls {

Result<KeyPair> CipherSuite::derive_hpke_key_pair(ByteView) const {
  return fail(Errc::unsupported);
}
KeyPair CipherSuite::generate_hpke_key_pair(Rng&) const { return {}; }
Result<Bytes> CipherSuite::hpke_public_key(ByteView) const { return fail(Errc::unsupported); }
Result<HpkeCiphertext> CipherSuite::hpke_seal(ByteView, ByteView, ByteView, ByteView, Rng&) const {
  return fail(Errc::unsupported);
}
Result<Bytes> CipherSuite::hpke_open(ByteView, ByteView, ByteView, const HpkeCiphertext&) const {
  return fail(Errc::unsupported);
}
Result<HpkeCiphertext> CipherSuite::encrypt_with_label(ByteView, std::string_view, ByteView,
                                                       ByteView, Rng&) const {
  return fail(Errc::unsupported);
}
Result<Bytes> CipherSuite::decrypt_with_label(ByteView, std::string_view, ByteView,
                                              const HpkeCiphertext&) const {
  return fail(Errc::unsupported);
}

}  // namespace conclave::mls

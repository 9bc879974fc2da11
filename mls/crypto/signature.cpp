// Signatures (RFC 9420 §5.1.2). Temporary stubs while the implementation lands.
#include "mls/crypto/cipher_suite.h"
#include "mls/crypto/detail/suite_impl.h"

namespace conclave::mls {

struct SigningKey::Impl {
  ossl::UniquePtr<EVP_PKEY> pkey;
};

SigningKey::SigningKey(const CipherSuite& suite, std::unique_ptr<Impl> impl, Bytes public_key)
    : suite_(&suite), impl_(std::move(impl)), public_key_(std::move(public_key)) {}
SigningKey::SigningKey(SigningKey&&) noexcept = default;
SigningKey& SigningKey::operator=(SigningKey&&) noexcept = default;
SigningKey::~SigningKey() = default;

Result<Bytes> SigningKey::sign(ByteView) const { return fail(Errc::unsupported); }
Result<Bytes> SigningKey::sign_with_label(std::string_view, ByteView) const {
  return fail(Errc::unsupported);
}
Result<SigningKey> CipherSuite::signing_key(ByteView) const { return fail(Errc::unsupported); }
KeyPair CipherSuite::generate_signature_key_pair() const { return {}; }
bool CipherSuite::verify(ByteView, ByteView, ByteView) const { return false; }
bool CipherSuite::verify_with_label(ByteView, std::string_view, ByteView, ByteView) const {
  return false;
}
Result<Bytes> CipherSuite::sign_with_label(ByteView, std::string_view, ByteView) const {
  return fail(Errc::unsupported);
}

}  // namespace conclave::mls

// EVP_PKEY construction from raw key encodings (see detail/pkey.h).
#include "mls/crypto/detail/pkey.h"

namespace conclave::mls::crypto_detail {

Result<ossl::UniquePtr<EVP_PKEY>> raw_private_key(const char* type, ByteView bytes) {
  ossl::UniquePtr<EVP_PKEY> key(
      EVP_PKEY_new_raw_private_key_ex(nullptr, type, nullptr, bytes.data(), bytes.size()));
  if (!key) return fail(ossl::fail_with(Errc::invalid_key));
  return key;
}

Result<ossl::UniquePtr<EVP_PKEY>> raw_public_key(const char* type, ByteView bytes) {
  ossl::UniquePtr<EVP_PKEY> key(
      EVP_PKEY_new_raw_public_key_ex(nullptr, type, nullptr, bytes.data(), bytes.size()));
  if (!key) return fail(ossl::fail_with(Errc::invalid_key));
  return key;
}

Bytes raw_public_of(const EVP_PKEY* key) {
  std::size_t n = 0;
  if (EVP_PKEY_get_raw_public_key(key, nullptr, &n) != 1) ossl::fatal("raw public key size");
  Bytes out(n);
  if (EVP_PKEY_get_raw_public_key(key, out.data(), &n) != 1) ossl::fatal("raw public key");
  out.resize(n);
  return out;
}

namespace {

Result<ossl::UniquePtr<EVP_PKEY>> ec_from_params(const OSSL_PARAM* params, int selection) {
  ossl::UniquePtr<EVP_PKEY_CTX> ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  EVP_PKEY* raw = nullptr;
  if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, selection, const_cast<OSSL_PARAM*>(params)) != 1) {
    return fail(ossl::fail_with(Errc::invalid_key));
  }
  return ossl::UniquePtr<EVP_PKEY>(raw);
}

}  // namespace

Result<ossl::UniquePtr<EVP_PKEY>> ec_private_key(const EC_GROUP* group, const char* group_name,
                                                 ByteView scalar, std::size_t size,
                                                 Bytes& public_out) {
  if (scalar.size() != size) return fail(Errc::invalid_key);
  ossl::UniquePtr<BIGNUM> d(BN_secure_new());
  if (!d) d.reset(BN_new());
  if (!d || BN_bin2bn(scalar.data(), static_cast<int>(scalar.size()), d.get()) == nullptr) {
    ossl::fatal("BN_bin2bn");
  }
  // The private key must be in [1, n-1] (SEC 1 §3.2.1).
  if (BN_is_zero(d.get()) || BN_cmp(d.get(), EC_GROUP_get0_order(group)) >= 0) {
    return fail(Errc::invalid_key);
  }
  ossl::UniquePtr<BN_CTX> bn_ctx(BN_CTX_new());
  ossl::UniquePtr<EC_POINT> point(EC_POINT_new(group));
  if (!bn_ctx || !point ||
      EC_POINT_mul(group, point.get(), d.get(), nullptr, nullptr, bn_ctx.get()) != 1) {
    ossl::fatal("EC_POINT_mul");
  }
  const std::size_t len = EC_POINT_point2oct(group, point.get(), POINT_CONVERSION_UNCOMPRESSED,
                                             nullptr, 0, bn_ctx.get());
  public_out.resize(len);
  if (len == 0 || EC_POINT_point2oct(group, point.get(), POINT_CONVERSION_UNCOMPRESSED,
                                     public_out.data(), len, bn_ctx.get()) != len) {
    ossl::fatal("EC_POINT_point2oct");
  }
  ossl::UniquePtr<OSSL_PARAM_BLD> bld(OSSL_PARAM_BLD_new());
  if (!bld ||
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, group_name, 0) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_PRIV_KEY, d.get()) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, public_out.data(),
                                       public_out.size()) != 1) {
    ossl::fatal("OSSL_PARAM_BLD");
  }
  ossl::UniquePtr<OSSL_PARAM> params(OSSL_PARAM_BLD_to_param(bld.get()));
  if (!params) ossl::fatal("OSSL_PARAM_BLD_to_param");
  return ec_from_params(params.get(), EVP_PKEY_KEYPAIR);
}

Result<ossl::UniquePtr<EVP_PKEY>> ec_public_key(const EC_GROUP* group, const char* group_name,
                                                ByteView point) {
  // Only the uncompressed form is valid in MLS and HPKE (RFC 9180 §7.1.1); this also rejects
  // the one-byte encoding of the point at infinity.
  const std::size_t field_bytes = (static_cast<std::size_t>(EC_GROUP_get_degree(group)) + 7) / 8;
  if (point.size() != 1 + 2 * field_bytes || point[0] != 0x04) return fail(Errc::invalid_key);
  // fromdata decodes the point with EC_POINT_oct2point, which rejects points off the curve.
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, const_cast<char*>(group_name),
                                       0),
      OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY,
                                        const_cast<std::uint8_t*>(point.data()), point.size()),
      OSSL_PARAM_construct_end()};
  return ec_from_params(params, EVP_PKEY_PUBLIC_KEY);
}

}  // namespace conclave::mls::crypto_detail

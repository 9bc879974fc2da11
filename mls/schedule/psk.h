#pragma once
// Pre-shared keys (RFC 9420 §8.4): PreSharedKeyID, PSKLabel and the psk_secret chain.
#include <cstdint>
#include <span>
#include <tuple>
#include <variant>

#include "mls/codec/bytes.h"
#include "mls/codec/reader.h"
#include "mls/codec/result.h"
#include "mls/codec/writer.h"
#include "mls/crypto/cipher_suite.h"
#include "mls/schedule/secrets.h"

namespace conclave::mls {

// enum { reserved(0), external(1), resumption(2), (255) } PSKType;
enum class PskType : std::uint8_t { external = 1, resumption = 2 };

// enum { reserved(0), application(1), reinit(2), branch(3), (255) } ResumptionPSKUsage;
enum class ResumptionPskUsage : std::uint8_t { application = 1, reinit = 2, branch = 3 };

// case external: opaque psk_id<V>;
struct ExternalPskId {
  Bytes psk_id;
  static constexpr auto fields() { return std::tuple{&ExternalPskId::psk_id}; }
  bool operator==(const ExternalPskId&) const = default;
};

// case resumption: ResumptionPSKUsage usage; opaque psk_group_id<V>; uint64 psk_epoch;
struct ResumptionPskId {
  ResumptionPskUsage usage = ResumptionPskUsage::application;
  Bytes psk_group_id;
  std::uint64_t psk_epoch = 0;
  static constexpr auto fields() {
    return std::tuple{&ResumptionPskId::usage, &ResumptionPskId::psk_group_id,
                      &ResumptionPskId::psk_epoch};
  }
  bool operator==(const ResumptionPskId&) const = default;
};

// struct {
//   PSKType psktype;
//   select (PreSharedKeyID.psktype) {
//     case external:   opaque psk_id<V>;
//     case resumption: ResumptionPSKUsage usage; opaque psk_group_id<V>; uint64 psk_epoch;
//   };
//   opaque psk_nonce<V>;
// } PreSharedKeyID;
// The psktype selector is the index of `id`; it is written and read by the functions below.
struct PreSharedKeyID {
  std::variant<ExternalPskId, ResumptionPskId> id;
  Bytes psk_nonce;

  PskType type() const { return id.index() == 0 ? PskType::external : PskType::resumption; }
  bool operator==(const PreSharedKeyID&) const = default;
};

void write(Writer& w, const PreSharedKeyID& v);
// read fails with Errc::invalid_value for a reserved or unknown psktype or resumption usage.
bool read(Reader& r, PreSharedKeyID& v);

// struct { PreSharedKeyID id; uint16 index; uint16 count; } PSKLabel;
struct PskLabel {
  PreSharedKeyID id;
  std::uint16_t index = 0;
  std::uint16_t count = 0;
  static constexpr auto fields() {
    return std::tuple{&PskLabel::id, &PskLabel::index, &PskLabel::count};
  }
};

// derive_psk_secret chains the PSKs in order (§8.4):
//   psk_extracted_[i] = Extract(0, psk_[i])
//   psk_input_[i]     = ExpandWithLabel(psk_extracted_[i], "derived psk", PSKLabel, Nh)
//   psk_secret_[i+1]  = Extract(psk_input_[i], psk_secret_[i]),  psk_secret_[0] = 0
// `psks[i]` is the value of the PSK named by `ids[i]`. No PSKs give the all-zero vector.
// Fails with Errc::invalid_value when the spans differ in length or a psk_nonce is not Nh bytes
// long (§12.1.4), and Errc::limit_exceeded beyond 65535 PSKs (count is a uint16).
Result<PskSecret> derive_psk_secret(const CipherSuite& suite, std::span<const PreSharedKeyID> ids,
                                    std::span<const ByteView> psks);

}  // namespace conclave::mls

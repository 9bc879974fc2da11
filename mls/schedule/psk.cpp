#include "mls/schedule/psk.h"

#include <limits>

#include "mls/codec/codec.h"

namespace conclave::mls {

void write(Writer& w, const PreSharedKeyID& v) {
  write(w, v.type());
  std::visit([&](const auto& body) { write(w, body); }, v.id);
  write(w, v.psk_nonce);
}

bool read(Reader& r, PreSharedKeyID& v) {
  std::uint8_t type = 0;
  if (!r.read_uint(type)) return false;
  switch (static_cast<PskType>(type)) {
    case PskType::external: {
      ExternalPskId body;
      if (!read(r, body)) return false;
      v.id = std::move(body);
      break;
    }
    case PskType::resumption: {
      ResumptionPskId body;
      if (!read(r, body)) return false;
      // reserved(0) and values beyond branch(3) name no usage a PSK can be resumed for.
      const auto usage = static_cast<std::uint8_t>(body.usage);
      if (usage == 0 || usage > static_cast<std::uint8_t>(ResumptionPskUsage::branch)) {
        return r.fail(Errc::invalid_value);
      }
      v.id = std::move(body);
      break;
    }
    default:
      return r.fail(Errc::invalid_value);  // reserved(0) or unknown psktype
  }
  return read(r, v.psk_nonce);
}

Result<PskSecret> derive_psk_secret(const CipherSuite& suite, std::span<const PreSharedKeyID> ids,
                                    std::span<const ByteView> psks) {
  if (ids.size() != psks.size()) return fail(Errc::invalid_value);
  if (ids.size() > std::numeric_limits<std::uint16_t>::max()) return fail(Errc::limit_exceeded);
  const std::size_t nh = suite.hash_size();
  const Bytes zero(nh, 0);
  Secret psk_secret(zero);
  PskLabel label;
  label.count = static_cast<std::uint16_t>(ids.size());
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (ids[i].psk_nonce.size() != nh) return fail(Errc::invalid_value);
    label.id = ids[i];
    label.index = static_cast<std::uint16_t>(i);
    const Secret extracted = suite.extract(zero, psks[i]);
    const Secret input =
        suite.expand_with_label(extracted.view(), "derived psk", encode(label), nh);
    psk_secret = suite.extract(input.view(), psk_secret.view());
  }
  return PskSecret(std::move(psk_secret));
}

}  // namespace conclave::mls

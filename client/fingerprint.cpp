#include "client/fingerprint.h"

namespace conclave::client {

std::string grouped_hex(mls::ByteView data) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (std::size_t i = 0; i < data.size(); ++i) {
    if (i > 0 && i % 2 == 0) out.push_back(' ');
    out.push_back(kHex[data[i] >> 4]);
    out.push_back(kHex[data[i] & 15]);
  }
  return out;
}

std::string fingerprint(const mls::CipherSuite& suite, mls::ByteView signature_key) {
  return grouped_hex(suite.hash(signature_key));
}

}  // namespace conclave::client

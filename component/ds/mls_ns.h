#pragma once
// The urn:xmpp:mls:0 namespace and the limits of the delivery service (docs/protocol.md).
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace conclave::component::ds {

inline constexpr std::string_view kMlsNs = "urn:xmpp:mls:0";
inline constexpr std::string_view kEmeNs = "urn:xmpp:eme:0";  // XEP-0380
// docs/protocol.md: the only cipher suite the service accepts,
// MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519 (RFC 9420 §17.1).
inline constexpr std::uint16_t kSuite = 0x0001;
// docs/protocol.md §7: commits per <commits/> answer.
inline constexpr std::size_t kMaxCommitsPerPage = 100;
// Base64 payloads larger than this are refused before decoding (a 10,000-member tree is about
// 2.5 MB; a commit with a path about log2(N) * 100 bytes).
inline constexpr std::size_t kMaxPayloadChars = 16 * 1024 * 1024;

}  // namespace conclave::component::ds

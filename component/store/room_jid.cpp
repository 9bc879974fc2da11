#include "component/store/room_jid.h"

#include <system_error>

namespace conclave::component {
namespace {

constexpr std::size_t kMaxPart = 1023;  // RFC 7622 §3.2, §3.3: each part 1..1023 bytes

bool allowed(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u > 0x20 && u != 0x7f && c != '/' && c != '@';
}

}  // namespace

Result<RoomJid> RoomJid::parse(std::string_view text) {
  const std::size_t at = text.find('@');
  if (at == std::string_view::npos || at == 0 || at > kMaxPart) {
    return fail(std::make_error_code(std::errc::invalid_argument));
  }
  const std::string_view node = text.substr(0, at);
  const std::string_view domain = text.substr(at + 1);
  if (domain.empty() || domain.size() > kMaxPart) {
    return fail(std::make_error_code(std::errc::invalid_argument));
  }
  for (char c : node) {
    if (!allowed(c)) return fail(std::make_error_code(std::errc::invalid_argument));
  }
  for (char c : domain) {
    if (!allowed(c)) return fail(std::make_error_code(std::errc::invalid_argument));
  }
  return RoomJid(std::string(text), at);
}

}  // namespace conclave::component

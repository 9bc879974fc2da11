// Invisible nicknames (room_nickname.h). A short table instead of a Unicode database: only the
// code points that render as nothing matter here, and that set is small and stable.
#include "component/muc/room_nickname.h"

#include <cstdint>

namespace conclave::component {

namespace {

struct Range {
  char32_t first;
  char32_t last;
};

// Unicode White_Space, the Cc controls and Default_Ignorable_Code_Point (DerivedCoreProperties),
// plus U+2800 BRAILLE PATTERN BLANK, which fonts draw as an empty cell and is a common way to
// fake an empty name.
constexpr Range kInvisible[] = {
    {0x0000, 0x0020},   {0x007F, 0x00A0},   {0x00AD, 0x00AD}, {0x034F, 0x034F}, {0x061C, 0x061C},
    {0x115F, 0x1160},   {0x1680, 0x1680},   {0x17B4, 0x17B5}, {0x180B, 0x180F}, {0x2000, 0x200F},
    {0x2028, 0x202F},   {0x205F, 0x206F},   {0x2800, 0x2800}, {0x3000, 0x3000}, {0x3164, 0x3164},
    {0xFE00, 0xFE0F},   {0xFEFF, 0xFEFF},   {0xFFA0, 0xFFA0}, {0xFFF0, 0xFFF8}, {0x1BCA0, 0x1BCA3},
    {0x1D173, 0x1D17A}, {0xE0000, 0xE0FFF},
};

bool invisible(char32_t c) {
  for (const Range& r : kInvisible) {
    if (c >= r.first && c <= r.last) return true;
  }
  return false;
}

// Decodes the code point at `i` and advances past it; an ill-formed sequence yields U+FFFD.
char32_t next_code_point(std::string_view s, std::size_t& i) {
  const auto b = static_cast<std::uint8_t>(s[i++]);
  int extra = 0;
  char32_t c = 0;
  if (b < 0x80) return b;
  if ((b & 0xE0) == 0xC0) {
    extra = 1;
    c = b & 0x1F;
  } else if ((b & 0xF0) == 0xE0) {
    extra = 2;
    c = b & 0x0F;
  } else if ((b & 0xF8) == 0xF0) {
    extra = 3;
    c = b & 0x07;
  } else {
    return 0xFFFD;
  }
  for (; extra > 0; --extra) {
    if (i >= s.size() || (static_cast<std::uint8_t>(s[i]) & 0xC0) != 0x80) return 0xFFFD;
    c = (c << 6) | (static_cast<std::uint8_t>(s[i++]) & 0x3F);
  }
  return c;
}

}  // namespace

bool visible_nickname(std::string_view nick) {
  for (std::size_t i = 0; i < nick.size();) {
    if (!invisible(next_code_point(nick, i))) return true;
  }
  return false;
}

}  // namespace conclave::component

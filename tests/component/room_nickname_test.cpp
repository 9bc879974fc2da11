// Invisible nicknames (component/muc/room_nickname.h; XEP-0045 §17.1, RFC 7700).
#include "component/muc/room_nickname.h"

#include <gtest/gtest.h>

namespace conclave::component {
namespace {

TEST(VisibleNickname, EmptyAndWhiteSpaceOnlyAreInvisible) {
  EXPECT_FALSE(visible_nickname(""));
  EXPECT_FALSE(visible_nickname(" "));
  EXPECT_FALSE(visible_nickname("   "));
  EXPECT_FALSE(visible_nickname("\t \n"));
  EXPECT_FALSE(visible_nickname("\xC2\xA0"));                  // U+00A0 NO-BREAK SPACE
  EXPECT_FALSE(visible_nickname("\xE3\x80\x80 "));             // U+3000 IDEOGRAPHIC SPACE
  EXPECT_FALSE(visible_nickname("\xE2\x80\x83\xE2\x80\xAF"));  // U+2003 EM SPACE, U+202F
}

TEST(VisibleNickname, FormatAndFillerCharactersOnlyAreInvisible) {
  EXPECT_FALSE(visible_nickname("\xE2\x80\x8B"));               // U+200B ZERO WIDTH SPACE
  EXPECT_FALSE(visible_nickname("\xE2\x81\xA2"));               // U+2062 INVISIBLE TIMES
  EXPECT_FALSE(visible_nickname("\xE2\x80\x8E \xE2\x80\x8F"));  // LRM, space, RLM
  EXPECT_FALSE(visible_nickname("\xE3\x85\xA4"));               // U+3164 HANGUL FILLER
  EXPECT_FALSE(visible_nickname("\xEF\xBB\xBF"));               // U+FEFF
  EXPECT_FALSE(visible_nickname("\xE2\xA0\x80"));               // U+2800 BRAILLE PATTERN BLANK
  EXPECT_FALSE(visible_nickname("\xF3\xA0\x80\x81"));           // U+E0001 LANGUAGE TAG
  EXPECT_FALSE(visible_nickname("\x01\x7F"));
}

TEST(VisibleNickname, AnythingThatShowsIsVisible) {
  EXPECT_TRUE(visible_nickname("a"));
  EXPECT_TRUE(visible_nickname(" a "));
  EXPECT_TRUE(visible_nickname("Bob Smith"));
  EXPECT_TRUE(
      visible_nickname("\xE2\x80\x8B"
                       "x"));                         // a zero-width space before a letter
  EXPECT_TRUE(visible_nickname("\xE2\x99\x9A"));      // U+265A, "The ♚" of XEP-0045 §9.1
  EXPECT_TRUE(visible_nickname("\xF0\x9F\x98\x80"));  // an emoji, four bytes
  EXPECT_TRUE(visible_nickname("."));
}

}  // namespace
}  // namespace conclave::component

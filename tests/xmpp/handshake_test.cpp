#include "xmpp/handshake.h"

#include <gtest/gtest.h>

namespace conclave::xmpp {
namespace {

TEST(Handshake, LowercaseHexSha1OfIdThenSecret) {
  // Expected values computed independently with `printf '3BF96D32secret' | sha1sum`.
  EXPECT_EQ(handshake_digest("3BF96D32", "secret").value(),
            "b09ea9b3b7f586be8a08d0a3dd7466f110aeb136");
  EXPECT_EQ(handshake_digest("", "").value(), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  // Order matters: id first, then secret.
  EXPECT_NE(handshake_digest("secret", "3BF96D32").value(),
            handshake_digest("3BF96D32", "secret").value());
}

}  // namespace
}  // namespace conclave::xmpp

// ct_equal (docs/style.md P11): equal, different contents, different lengths, empty; bytes and
// strings alike.
#include "base/ct_equal.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace conclave {
namespace {

TEST(CtEqual, Bytes) {
  const std::vector<std::uint8_t> a{1, 2, 3}, same{1, 2, 3}, last{1, 2, 4}, first{0, 2, 3};
  EXPECT_TRUE(ct_equal(a, same));
  EXPECT_FALSE(ct_equal(a, last));
  EXPECT_FALSE(ct_equal(a, first));
  EXPECT_FALSE(ct_equal(a, std::vector<std::uint8_t>{1, 2}));
  EXPECT_TRUE(ct_equal(std::vector<std::uint8_t>{}, std::vector<std::uint8_t>{}));
}

TEST(CtEqual, Strings) {
  const std::string password = "s3cret";
  EXPECT_TRUE(ct_equal(password, std::string("s3cret")));
  EXPECT_FALSE(ct_equal(password, std::string("s3creT")));
  EXPECT_FALSE(ct_equal(password, std::string("s3cre")));
  EXPECT_FALSE(ct_equal(password, std::string()));
  EXPECT_TRUE(ct_equal(std::string(), std::string()));
}

}  // namespace
}  // namespace conclave

// Result<T> and fail (base/result.h): one type for every layer, and fail() from a code or from
// any error code enum.
#include "base/result.h"

#include <gtest/gtest.h>

#include "client/errors.h"
#include "component/store/result.h"
#include "db/result.h"
#include "mls/codec/result.h"
#include "xmpp/result.h"

// The layers' names are the one type: a Result passes from one layer to another unconverted.
static_assert(std::is_same_v<conclave::mls::Result<int>, conclave::Result<int>>);
static_assert(std::is_same_v<conclave::xmpp::Result<int>, conclave::Result<int>>);
static_assert(std::is_same_v<conclave::db::Result<int>, conclave::Result<int>>);
static_assert(std::is_same_v<conclave::component::Result<int>, conclave::Result<int>>);
static_assert(std::is_same_v<conclave::client::Result<int>, conclave::Result<int>>);
static_assert(std::is_same_v<conclave::mls::Status, conclave::Status>);

namespace conclave {
namespace {

TEST(Result, FailFromAnErrorCode) {
  const Result<int> r = fail(std::make_error_code(std::errc::io_error));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), std::errc::io_error);
}

TEST(Result, FailFromAnErrorCodeEnum) {
  const Status s = fail(std::io_errc::stream);  // std::io_errc is an error code enum
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error(), std::make_error_code(std::io_errc::stream));
}

}  // namespace
}  // namespace conclave

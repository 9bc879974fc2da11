#pragma once
// Result<T>: a value or a std::error_code, the one error channel of every layer (docs/style.md
// P6). Each layer keeps its own Errc enum and error_category and brings these names into its
// namespace (mls/codec/result.h, xmpp/result.h, db/result.h, component/store/result.h,
// client/errors.h), so a Result of one layer is the same type as a Result of another.
#include <system_error>
#include <tl/expected.hpp>
#include <type_traits>

namespace conclave {

template <class T>
using Result = tl::expected<T, std::error_code>;
using Status = Result<void>;

// ErrorCodeEnum: an enum that converts to std::error_code (each layer's Errc).
template <class E>
concept ErrorCodeEnum = std::is_error_code_enum_v<E>;

// fail(e) converts to any Result<T> holding error `e`, a std::error_code or a layer's code
// (made by the make_error_code beside its enum).
inline tl::unexpected<std::error_code> fail(std::error_code e) { return tl::unexpected(e); }
template <ErrorCodeEnum E>
tl::unexpected<std::error_code> fail(E e) {
  return tl::unexpected(make_error_code(e));
}

}  // namespace conclave

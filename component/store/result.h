#pragma once
// Result<T> of the component layer: a value or a std::error_code (docs/style.md P6).
#include <tl/expected.hpp>

#include "component/store/errors.h"

namespace conclave::component {

template <class T>
using Result = tl::expected<T, std::error_code>;
using Status = Result<void>;

inline tl::unexpected<std::error_code> fail(std::error_code e) { return tl::unexpected(e); }
inline tl::unexpected<std::error_code> fail(StoreErrc e) {
  return tl::unexpected(make_error_code(e));
}

}  // namespace conclave::component

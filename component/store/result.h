#pragma once
// Result<T> of the component layer: a value or a std::error_code (docs/style.md P6).
#include "base/result.h"
#include "component/store/errors.h"

namespace conclave::component {

using conclave::fail;
using conclave::Result;
using conclave::Status;

}  // namespace conclave::component

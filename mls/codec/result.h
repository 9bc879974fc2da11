#pragma once
// Result<T>: a value or a std::error_code; the one error channel of the MLS layer (style.md P6).
// Defined once for every layer in base/result.h; the MLS layer's codes are mls::Errc.
#include "base/result.h"
#include "mls/codec/errors.h"

namespace conclave::mls {

using conclave::fail;
using conclave::Result;
using conclave::Status;

}  // namespace conclave::mls

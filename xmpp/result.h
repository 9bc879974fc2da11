#pragma once
// Result<T>: a value or a std::error_code; the one error channel of the XMPP layer (style.md P6).
// Defined once for every layer in base/result.h; the XMPP layer's codes are xmpp::Errc.
#include "base/result.h"
#include "xmpp/errors.h"

namespace conclave::xmpp {

using conclave::fail;
using conclave::Result;
using conclave::Status;

}  // namespace conclave::xmpp

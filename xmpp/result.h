#pragma once
// Result<T>: a value or a std::error_code; the one error channel of the XMPP layer (style.md P6).
#include <tl/expected.hpp>

#include "xmpp/errors.h"

namespace conclave::xmpp {

template <class T>
using Result = tl::expected<T, std::error_code>;
using Status = Result<void>;

// fail(e) converts to any Result<T> holding error `e`.
inline tl::unexpected<std::error_code> fail(std::error_code e) { return tl::unexpected(e); }
inline tl::unexpected<std::error_code> fail(Errc e) { return tl::unexpected(make_error_code(e)); }

}  // namespace conclave::xmpp

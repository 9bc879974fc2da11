#pragma once
// Result<T>: a value or a std::error_code (docs/style.md P6), as in the MLS layer, without
// making db/ depend on it.
#include <functional>
#include <string_view>
#include <tl/expected.hpp>

#include "db/errors.h"

namespace conclave::db {

template <class T>
using Result = tl::expected<T, std::error_code>;
using Status = Result<void>;

inline tl::unexpected<std::error_code> fail(std::error_code e) { return tl::unexpected(e); }
inline tl::unexpected<std::error_code> fail(Errc e) { return tl::unexpected(make_error_code(e)); }

// Log receives one human-readable line (details an error_code cannot carry: the server's
// message, the migration applied). Empty means silent.
using Log = std::function<void(std::string_view line)>;

}  // namespace conclave::db

#pragma once
// Result<T>: a value or a std::error_code (docs/style.md P6), the same type as in every layer
// (base/result.h) without making db/ depend on another layer; its codes are db::Errc.
#include <functional>
#include <string_view>

#include "base/result.h"
#include "db/errors.h"

namespace conclave::db {

using conclave::fail;
using conclave::Result;
using conclave::Status;

// Log receives one human-readable line (details an error_code cannot carry: the server's
// message, the migration applied). Empty means silent.
using Log = std::function<void(std::string_view line)>;

}  // namespace conclave::db

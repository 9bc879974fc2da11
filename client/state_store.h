#pragma once
// Durable private files for the account state directory: every file is mode 0600 and replaced
// atomically (temporary file in the same directory, fsync, rename, fsync of the directory), so a
// crash leaves either the old or the new content, never a torn or world-readable file.
#include <filesystem>
#include <optional>

#include "client/errors.h"
#include "mls/codec/bytes.h"

namespace conclave::client {

// ensure_private_dir creates `dir` (and parents) if missing and sets it to mode 0700.
// Errc::state_io on failure.
Status ensure_private_dir(const std::filesystem::path& dir);

// write_file_atomic replaces `path` with `data` as described above. Errc::state_io on any
// failed system call; the temporary file is removed then and `path` is unchanged.
Status write_file_atomic(const std::filesystem::path& path, mls::ByteView data);

// read_file returns the content of `path`, nullopt when it does not exist, Errc::state_io for
// other failures.
Result<std::optional<mls::Bytes>> read_file(const std::filesystem::path& path);

// remove_file deletes `path` (absent is fine) and syncs its directory.
Status remove_file(const std::filesystem::path& path);

}  // namespace conclave::client

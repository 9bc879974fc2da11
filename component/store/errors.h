#pragma once
// Error codes of the component's storage interfaces (docs/style.md P6). Implementations (db/)
// may also return their own codes (db::Errc) for I/O failures; callers treat any code other
// than these as "the store failed".
// Append new codes at the end; never renumber.
#include <system_error>

namespace conclave::component {

enum class StoreErrc {
  ok = 0,
  not_found = 1,  // the room, or the archive id an RSM/MAM query names, does not exist
  conflict,       // the row exists already (e.g. creating a room twice)
  // The write carried a shard lease (holder, term) that is no longer live in the database:
  // the instance was deposed, and nothing was written (docs/sequencing.md §A.4).
  fenced,
  // A leaf the write names a device that is not on its account's device list (retired, or
  // never registered by an upload; docs/protocol.md §6.13, CM-13): nothing was written.
  unknown_device,
};

const std::error_category& component_store_category() noexcept;

inline std::error_code make_error_code(StoreErrc e) noexcept {
  return {static_cast<int>(e), component_store_category()};
}

}  // namespace conclave::component

template <>
struct std::is_error_code_enum<conclave::component::StoreErrc> : std::true_type {};

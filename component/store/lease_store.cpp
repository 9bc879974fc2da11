#include "component/store/lease_store.h"

namespace conclave::component {

std::uint32_t shard_of(std::string_view room_jid, std::uint32_t count) {
  // FNV-1a, 64-bit (offset basis and prime from the FNV specification): stable across builds,
  // platforms and instances, and spreads similar JIDs.
  std::uint64_t h = 14695981039346656037ull;
  for (unsigned char c : room_jid) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return count == 0 ? 0 : static_cast<std::uint32_t>(h % count);
}

}  // namespace conclave::component

#include "mls/framing/wire_format.h"

namespace conclave::mls {

bool read(Reader& r, WireFormat& v) {
  std::uint16_t u = 0;
  if (!r.read_uint(u)) return false;
  if (u < 1 || u > 5) return r.fail(Errc::invalid_value);
  v = static_cast<WireFormat>(u);
  return true;
}

}  // namespace conclave::mls

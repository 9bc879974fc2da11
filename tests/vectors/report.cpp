#include "tests/vectors/report.h"

#include <stdexcept>

#include "mls/codec/hex.h"

namespace conclave::vectors {

mls::Bytes hex_field(const nlohmann::json& obj, const char* name) {
  if (!obj.contains(name) || !obj.at(name).is_string()) {
    throw std::runtime_error(std::string("vector lacks hex field '") + name + "'");
  }
  auto bytes = mls::from_hex(obj.at(name).get<std::string>());
  if (!bytes) throw std::runtime_error(std::string("field '") + name + "' is not hex");
  return std::move(*bytes);
}

}  // namespace conclave::vectors

#include "tests/vectors/report.h"

#include <algorithm>
#include <stdexcept>

#include "mls/codec/hex.h"
#include "mls/crypto/cipher_suite.h"

namespace conclave::vectors {

mls::Bytes hex_field(const nlohmann::json& obj, const char* name) {
  if (!obj.contains(name) || !obj.at(name).is_string()) {
    throw std::runtime_error(std::string("vector lacks hex field '") + name + "'");
  }
  auto bytes = mls::from_hex(obj.at(name).get<std::string>());
  if (!bytes) throw std::runtime_error(std::string("field '") + name + "' is not hex");
  return std::move(*bytes);
}

const mls::CipherSuite* case_suite(const nlohmann::json& tc, const std::string& where,
                                   Report& report) {
  const auto id = tc.at("cipher_suite").get<std::uint16_t>();
  auto suite = mls::CipherSuite::get(id);
  if (suite) return *suite;
  const bool spaced = where.empty() || where.back() == ' ';
  report.fail(where + (spaced ? "" : ": ") + "unsupported cipher suite " + std::to_string(id));
  return nullptr;
}

bool same(mls::ByteView got, mls::ByteView expected) { return std::ranges::equal(got, expected); }

}  // namespace conclave::vectors
